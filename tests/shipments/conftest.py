"""Label tests talk to the Stamps.com sandbox over real HTTP (pytest-django's live_server)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carriers.models import CarrierAccount
from carriers.stamps import client as stamps_client
from tests.factories import make_order, make_ship_from

SANDBOX_PATH = "/sandbox/stamps/swsim.asmx"
PASSWORD = "sandbox-pass-1"


@pytest.fixture
def stamps(live_server, settings, monkeypatch, tmp_path):
    """The sandbox API, reset, with the client pointed at it and fast failure settings.
    Jobs run inline (django-q2 sync); the worker tests start a real qcluster instead."""
    from django.core.cache import cache
    from django_q.conf import Conf

    from carriers.stamps.sandbox import api

    settings.STAMPS_SANDBOX = True
    settings.STAMPS_WSDL_URL = ""
    settings.STAMPS_SERVICE_URL = ""
    settings.STAMPS_SANDBOX_URL = f"{live_server.url}{SANDBOX_PATH}"
    settings.STAMPS_TIMEOUT = 1
    settings.STAMPS_RETRY_BACKOFF_MS = 0
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(Conf, "SYNC", True)
    stamps_client._tokens.clear()
    cache.clear()
    api.reset()
    yield api
    stamps_client._tokens.clear()
    cache.clear()


@pytest.fixture
def make_account(stamps, merchant):
    def make(
        username: str = "acme-labels",
        *,
        balance: str = "100.00",
        plan: str = CarrierAccount.Plan.PRO_FREE,
        status: str = CarrierAccount.Status.ACTIVE,
        is_default: bool = True,
    ) -> CarrierAccount:
        stamps.create_account(
            username,
            PASSWORD,
            balance=Decimal(balance),
            plan="pro" if plan == CarrierAccount.Plan.PRO_FREE else "personal",
            status="active" if status == CarrierAccount.Status.ACTIVE else "pending_verification",
        )
        return CarrierAccount.objects.create(
            merchant=merchant,
            nickname=username,
            username=username,
            password=PASSWORD,
            status=status,
            plan=plan,
            balance=Decimal(balance),
            is_default=is_default,
        )

    return make


@pytest.fixture
def account(make_account):
    return make_account()


@pytest.fixture
def ship_from(merchant):
    return make_ship_from(merchant)


@pytest.fixture
def make_shippable(merchant, ship_from):
    counter = iter(range(1, 10_000))

    def make(**overrides):
        fields = {
            "ship_from": ship_from,
            "service": "US-PM",
            "package_type": "Package",
            "weight_lb": 1,
            "weight_oz": Decimal("4.0"),
            "confirmation": "tracking",
        }
        fields.update(overrides)
        return make_order(merchant, overrides.pop("number", f"S-{next(counter)}"), **fields)

    return make


def international(**overrides):
    fields = {
        "recipient_name": "Marie Tremblay",
        "street1": "1 Rue Sainte-Catherine",
        "city": "Montreal",
        "state": "QC",
        "postal_code": "H2X 1Y4",
        "country": "CA",
        "service": "US-PMI",
        "confirmation": "none",
    }
    fields.update(overrides)
    return fields
