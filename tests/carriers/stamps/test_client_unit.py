"""The client's plumbing that needs no sandbox: WSDL cache, settings, redaction, transport
failures, and the rule that only carriers/stamps/ imports zeep."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path
from unittest import mock

import pytest

from carriers.models import CarrierCall
from carriers.stamps import client as stamps_client
from carriers.stamps import errors, transport
from carriers.stamps.calllog import redact, summarize
from carriers.stamps.client import StampsClient, get_client
from carriers.stamps.types import Address, RateRequest

ROOT = Path(__file__).resolve().parents[3]
UNREACHABLE = "http://127.0.0.1:9/swsim.asmx"  # the discard port: connection refused


def test_nothing_outside_carriers_stamps_imports_zeep():
    # Tests may read a WSDL with zeep; ShipDesk's own code reaches Stamps.com only through
    # carriers.stamps.client (and its transport).
    offenders = []
    skip_top = {".venv", "var", "tests", "node_modules", ".git"}
    sources = list(ROOT.glob("*.py")) + [
        p
        for top in ROOT.iterdir()
        if top.is_dir() and top.name not in skip_top and not top.name.startswith(".")
        for p in top.rglob("*.py")
    ]
    for path in sources:
        rel = path.relative_to(ROOT)
        if rel.parts[:2] == ("carriers", "stamps"):
            continue
        tree = ast.parse(path.read_text(), filename=str(rel))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "zeep" or n.startswith("zeep.") for n in names):
                offenders.append(str(rel))
    assert offenders == []


def test_wsdl_is_parsed_once_per_process(real_wsdl, fresh_client_cache, settings):
    settings.STAMPS_WSDL_URL = str(real_wsdl)
    settings.STAMPS_SERVICE_URL = UNREACHABLE
    with mock.patch.object(transport.zeep, "Client", wraps=transport.zeep.Client) as zeep_client:
        clients = [get_client(f"user{i}", "pw") for i in range(5)]
        clients.append(StampsClient("other", "pw", timeout=1))
    assert zeep_client.call_count == 1
    assert stamps_client.wsdl_parse_count == {str(real_wsdl): 1}
    assert len({id(c._service) for c in clients}) == 1


def test_sandbox_mode_loads_the_sandbox_wsdl_and_address(settings):
    settings.STAMPS_SANDBOX = True
    settings.STAMPS_WSDL_URL = ""
    settings.STAMPS_SERVICE_URL = ""
    settings.STAMPS_SANDBOX_URL = "http://127.0.0.1:8123/sandbox/stamps/swsim.asmx"
    assert stamps_client.endpoints() == (
        "http://127.0.0.1:8123/sandbox/stamps/swsim.asmx?wsdl",
        "http://127.0.0.1:8123/sandbox/stamps/swsim.asmx",
    )


def test_production_uses_the_configured_wsdl_and_its_own_address(settings):
    settings.STAMPS_SANDBOX = False
    settings.STAMPS_WSDL_URL = "https://swsim.stamps.com/swsim/swsimv135.asmx?wsdl"
    settings.STAMPS_SERVICE_URL = ""
    assert stamps_client.endpoints() == (
        "https://swsim.stamps.com/swsim/swsimv135.asmx?wsdl",
        "",
    )


def test_redaction_hides_passwords_cards_codes_and_authenticators():
    summary = summarize(
        {
            "Authenticator": "tok-123",
            "Credentials": {"IntegrationID": "x", "Username": "amy", "Password": "hunter22"},
            "CreditCard": {"AccountNumber": "4111111111111111", "CVN": "123"},
            "PhoneVerificationCode": "654321",
            "PurchaseAmount": Decimal("25.00"),
        }
    )
    for secret in ("tok-123", "hunter22", "4111111111111111", "654321", '"123"'):
        assert secret not in summary
    assert "amy" in summary and "25.00" in summary
    assert redact({"Password": "x"}) == {"Password": "***"}


@pytest.mark.django_db
def test_unreachable_carrier_is_temporary_and_read_only_calls_are_retried(
    real_wsdl, fresh_client_cache
):
    client = StampsClient(
        "amy", "secret-pw", wsdl=str(real_wsdl), address=UNREACHABLE, retries=2, retry_backoff=0
    )
    request = RateRequest(from_zip="11201", to=Address(zip_code="94105"), weight_oz=4)
    with pytest.raises(errors.CarrierUnavailable) as exc_info:
        client.get_rates(request)
    assert not exc_info.value.permanent
    calls = list(CarrierCall.objects.order_by("started_at", "pk"))
    # Rating is read-only, so it is retried (each call carries Credentials: no sign-in first).
    assert [(c.operation, c.attempt, c.outcome) for c in calls] == [
        ("GetRates", 1, "transport"),
        ("GetRates", 2, "transport"),
        ("GetRates", 3, "transport"),
    ]
    assert all("secret-pw" not in c.request_summary for c in calls)
    assert calls[0].merchant_message == errors.CarrierUnavailable().merchant_message


def test_money_moving_calls_need_an_integrator_tx_id(real_wsdl, fresh_client_cache):
    client = StampsClient("amy", "pw", wsdl=str(real_wsdl), address=UNREACHABLE)
    with pytest.raises(ValueError, match="R28"):
        client.purchase_postage(Decimal("10"), Decimal("0"), "")
