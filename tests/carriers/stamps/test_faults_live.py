"""Injected failures (delay, timeout, HTTP 500, commit-then-drop) and what the client does:
retry read-only calls, retry money-moving calls only with the same IntegratorTxID (R28),
never blind-retry anything else."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from carriers.models import CarrierCall
from carriers.stamps import errors
from carriers.stamps.client import get_client
from carriers.stamps.types import Address, RateRequest

pytestmark = pytest.mark.django_db(transaction=True)

RATES = RateRequest(
    from_zip="11201", to=Address(zip_code="94105"), weight_oz=8, service_type="US-GA"
)


def calls(operation):
    return list(
        CarrierCall.objects.filter(operation=operation)
        .order_by("started_at", "pk")
        .values_list("attempt", "outcome", "fault_code")
    )


@pytest.fixture
def amy(stamps):
    stamps.create_account("amy", "Secret123", balance=Decimal("50.00"))
    client = get_client("amy", "Secret123", timeout=0.5)
    client.authenticate()
    return client


def test_a_slow_answer_within_the_timeout_is_fine(stamps, amy):
    stamps.set_fault("GetRates", "delay", delay=0.2)
    assert amy.get_rates(RATES)
    (attempt,) = CarrierCall.objects.filter(operation="GetRates")
    assert attempt.duration_ms >= 200


def test_read_only_call_is_retried_after_a_timeout(stamps, amy):
    stamps.set_fault("GetRates", "timeout", delay=1.0)
    assert amy.get_rates(RATES)
    assert calls("GetRates") == [(1, "transport", "timeout"), (2, "ok", "")]


def test_read_only_call_is_retried_after_http_500(stamps, amy):
    stamps.set_fault("GetAccountInfo", "http500")
    assert amy.get_account_info().balance == Decimal("50.00")
    assert calls("GetAccountInfo") == [(1, "transport", "HTTP 500"), (2, "ok", "")]


def test_retries_stop_and_the_error_is_temporary(stamps, amy):
    stamps.set_fault("GetURL", "http500", times=0)
    with pytest.raises(errors.CarrierUnavailable) as exc_info:
        amy.get_url("AccountSettingsPage")
    assert not exc_info.value.permanent
    assert [a for a, _, _ in calls("GetURL")] == [1, 2, 3]


def test_purchase_dropped_after_commit_is_never_resent_R44(stamps, amy):
    stamps.set_fault("PurchasePostage", "drop_after_commit")
    info = amy.get_account_info()
    tx_id = uuid.uuid4().hex
    with pytest.raises(errors.CarrierUnavailable):
        amy.purchase_postage(Decimal("25.00"), info.control_total, tx_id)
    assert [p.integrator_tx_id for p in stamps.purchases("amy")] == [tx_id]
    assert stamps.get_balance("amy") == Decimal("75.00")
    assert calls("PurchasePostage") == [(1, "transport", "HTTP 500")]


def test_purchase_timeout_is_never_resent_R44(stamps, amy):
    stamps.set_fault("PurchasePostage", "timeout", delay=1.0)
    info = amy.get_account_info()
    with pytest.raises(errors.CarrierUnavailable):
        amy.purchase_postage(Decimal("10.00"), info.control_total, uuid.uuid4().hex)
    assert stamps.purchases("amy") == []
    assert [attempt for attempt, _, _ in calls("PurchasePostage")] == [1]


def test_set_auto_buy_is_never_blindly_retried(stamps, amy):
    stamps.set_fault("SetAutoBuy", "drop_after_commit")
    with pytest.raises(errors.CarrierUnavailable):
        amy.set_auto_buy(True, Decimal("50"), Decimal("10"))
    assert calls("SetAutoBuy") == [(1, "transport", "HTTP 500")]


def test_soap_fault_injection_is_mapped_by_its_wording(stamps, amy):
    stamps.set_fault("GetRates", "soap_fault", message="Account is set to a closed plan")
    with pytest.raises(errors.ClosedPlan):
        amy.get_rates(RATES)
    assert calls("GetRates") == [(1, "fault", "00ff0000")]
