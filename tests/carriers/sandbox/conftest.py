"""Fixtures that talk to the sandbox over real HTTP (live_server) with plain zeep."""

from __future__ import annotations

from decimal import Decimal

import pytest
import zeep
import zeep.helpers
from zeep.transports import Transport

from carriers.stamps.sandbox import api
from tests.support import REFERENCE_WSDL_MISSING, reference_wsdl

REAL_WSDL = reference_wsdl()
NS = "{http://stamps.com/xml/namespace/2023/07/swsim/SwsimV135}"
INTEGRATION_ID = "00000000-0000-0000-0000-000000000000"
_real_client: zeep.Client | None = None


def _real() -> zeep.Client:
    global _real_client
    if _real_client is None:
        _real_client = zeep.Client(str(REAL_WSDL), transport=Transport(timeout=5))
    return _real_client


@pytest.fixture
def endpoint(live_server) -> str:
    return f"{live_server.url}/sandbox/stamps/swsim.asmx"


@pytest.fixture(params=["sandbox-wsdl", "real-wsdl"])
def swsim(request, endpoint):
    """The SwsimV135Soap service, built from the sandbox's WSDL and from the real one."""
    if request.param == "real-wsdl":
        if REAL_WSDL is None:
            pytest.skip(REFERENCE_WSDL_MISSING)
        client = _real()
    else:
        client = zeep.Client(f"{endpoint}?wsdl", transport=Transport(timeout=5))
    yield client.create_service(f"{NS}SwsimV135Soap", endpoint)
    _hang_up(client)


@pytest.fixture
def sandbox_client(endpoint):
    client = zeep.Client(f"{endpoint}?wsdl", transport=Transport(timeout=5))
    yield client
    _hang_up(client)


def _hang_up(client: zeep.Client) -> None:
    """Close the client's kept-alive connections: each holds a thread of the live server,
    and that thread its database connection, which would outlive the test database."""
    client.transport.session.close()


@pytest.fixture
def alice(transactional_db):
    api.reset()
    return api.create_account("alice", "secret-1", balance=Decimal("100.00"))


def credentials(username: str = "alice", password: str = "secret-1") -> dict:
    return {"IntegrationID": INTEGRATION_ID, "Username": username, "Password": password}


def login(service, username: str = "alice", password: str = "secret-1") -> str:
    return service.AuthenticateUser(Credentials=credentials(username, password)).Authenticator


DOMESTIC_RATE = {
    "From": {"ZIPCode": "90245", "State": "CA", "Country": "US"},
    "To": {"ZIPCode": "10001", "State": "NY", "Country": "US"},
    "WeightLb": 1,
    "WeightOz": 4,
    "PackageType": "Package",
}


def cleansed(service, address: dict) -> dict:
    """R37: the address as CleanseAddress answers it, with its CleanseHash (or, when it could
    not be matched, its OverrideHash): what CreateIndicium accepts as the To address.

    Asked on an account of its own: every answer supersedes the account's earlier
    Authenticators (R38), so cleansing on the test's account would break the test's
    conversation. The hash covers the address only, so any account's answer will do."""
    from carriers.stamps.sandbox.models import Account

    if not Account.objects.filter(username="address-checker").exists():
        api.create_account("address-checker", "secret-1")
    answer = service.CleanseAddress(
        Credentials=credentials("address-checker", "secret-1"), Address=address
    )
    fields = zeep.helpers.serialize_object(answer.Address, dict)
    kept = {k: v for k, v in fields.items() if v is not None}
    return kept | {k: address[k] for k in ("FullName",) if k in address}
