"""R13 auto-funding and R14 reconciliation against the Stamps.com sandbox."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from funding import ledger, services
from funding.models import AutoFunding, BalanceDrift, LedgerEntry, PostagePurchase
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def _label(sandbox, account, amount: str, ref: str) -> None:
    """A label bought at the carrier and debited in ShipDesk's ledger (as labels will)."""
    carrier_side = sandbox.get_account(account.username)
    carrier_side.balance -= Decimal(amount)
    carrier_side.control_total += Decimal(amount)
    carrier_side.save()
    with transaction.atomic():
        ledger.debit_for_label(
            account, Decimal(amount), ref, control_total=carrier_side.control_total
        )


def _turn_on(account, threshold="50", amount="100", max_per_day=3):
    return services.save_auto_funding(
        account,
        enabled=True,
        threshold=Decimal(threshold),
        amount=Decimal(amount),
        max_per_day=max_per_day,
    )


def test_R13_auto_funding_buys_once_per_drop_below_the_threshold(make_account, sandbox):
    account = make_account(balance="100.00")
    _turn_on(account)
    _label(sandbox, account, "60.00", "L1")  # 40 < 50: the check after commit buys 100
    assert [p.amount for p in sandbox.purchases("acme-ship")] == [Decimal("100.00")]
    services.check_auto_funding(account)  # same drop already handled (and now above again)
    _label(sandbox, account, "5.00", "L2")  # 135: above the threshold, nothing to do
    assert len(sandbox.purchases("acme-ship")) == 1
    _label(sandbox, account, "100.00", "L3")  # 35: a new drop, one more purchase
    assert len(sandbox.purchases("acme-ship")) == 2
    account.refresh_from_db()
    assert account.balance == Decimal("135.00") == sandbox.get_balance("acme-ship")
    assert ledger.ledger_balance(account) == Decimal("135.00")
    autos = PostagePurchase.objects.filter(automatic=True, status="success")
    assert autos.count() == 2
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.AUTO_PURCHASE).count() == 2


def test_R13_auto_funding_stops_at_the_daily_limit(make_account, sandbox):
    account = make_account(balance="100.00")
    _turn_on(account, threshold="50", amount="20", max_per_day=1)
    _label(sandbox, account, "60.00", "L1")  # 40 -> buys 20 -> 60 (re-armed on next check)
    services.check_auto_funding(account)
    _label(sandbox, account, "30.00", "L2")  # 30: a new drop, but the day's one is used
    assert len(sandbox.purchases("acme-ship")) == 1
    auto = AutoFunding.objects.get(account=account)
    assert "Daily limit" in auto.last_skip_reason


def test_R13_settings_are_checked_against_R10_and_R11(make_account, sandbox):
    account = make_account(balance="0.00")
    with pytest.raises(services.FundsError, match=r"at least \$10\.00"):
        _turn_on(account, threshold="50", amount="5")
    with pytest.raises(services.FundsError, match=r"at most \$9,000\.00"):
        _turn_on(account, threshold="1000", amount="9500")
    assert not AutoFunding.objects.filter(enabled=True).exists()


def test_R13_warns_when_stamps_com_auto_buy_is_also_on_and_turns_it_off(
    make_account, sandbox, owner_client
):
    account = make_account(
        balance="100.00",
        auto_buy={"enabled": True, "purchase_amount": "50", "trigger_amount": "20"},
    )
    auto = _turn_on(account)
    assert auto.funds_twice
    page = owner_client.get("/funds/").text
    assert "Stamps.com's own auto-buy is on" in page
    assert "funded twice" in page
    response = owner_client.post(f"/funds/{account.pk}/carrier-auto-buy/off/")
    assert response.status_code == 302
    assert sandbox.get_account("acme-ship").auto_buy_enabled is False
    auto.refresh_from_db()
    assert not auto.carrier_auto_buy_enabled and auto.enabled


def test_R14_reconciliation_flags_drift_for_support_and_an_adjustment_closes_it(
    make_account, sandbox
):
    account = make_account(balance="50.00")
    services.add_funds(account, Decimal("25"))
    assert services.reconcile(account) is None
    carrier_side = sandbox.get_account("acme-ship")
    carrier_side.balance += Decimal("10.00")  # bought at stamps.com, not through ShipDesk
    carrier_side.save()
    drift = services.reconcile(account)
    assert drift is not None and drift.difference == Decimal("10.00")
    assert drift.ledger_balance == Decimal("75.00") and drift.carrier_balance == Decimal("85.00")
    services.resolve_drift(
        drift, "Purchase made on stamps.com directly.", by=make_user("ops@shipdesk.test")
    )
    assert ledger.ledger_balance(account) == Decimal("85.00")
    assert services.reconcile(account) is None
    assert BalanceDrift.objects.get().resolved_at is not None
