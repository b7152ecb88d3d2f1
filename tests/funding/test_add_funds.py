"""Add funds against the Stamps.com sandbox over HTTP: R3, R10-R12, R14 and lost answers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carriers.models import CarrierAccount
from funding import services
from funding.ledger import ledger_balance
from funding.models import LedgerEntry, PostagePurchase

pytestmark = pytest.mark.django_db(transaction=True)


def _ledger(account):
    return list(
        LedgerEntry.objects.filter(account=account).order_by("pk").values_list("kind", "amount")
    )


def test_R10_adding_funds_buys_with_the_card_on_file_and_writes_one_ledger_entry(
    make_account, sandbox
):
    account = make_account(balance="12.00")
    purchase = services.add_funds(account, Decimal("25"))
    assert purchase.status == PostagePurchase.Status.SUCCESS
    assert sandbox.get_balance("acme-ship") == Decimal("37.00")
    [bought] = sandbox.purchases("acme-ship")
    assert bought.integrator_tx_id == purchase.integrator_tx_id
    account.refresh_from_db()
    assert account.balance == Decimal("37.00")
    assert _ledger(account) == [("adjustment", Decimal("12.00")), ("purchase", Decimal("25.00"))]
    assert ledger_balance(account) == Decimal("37.00")


def test_R10_less_than_ten_dollars_is_refused_before_asking_stamps_com(make_account, sandbox):
    account = make_account()
    with pytest.raises(services.BelowMinimum, match=r"at least \$10\.00"):
        services.add_funds(account, Decimal("9.99"))
    assert sandbox.purchases("acme-ship") == []
    assert not PostagePurchase.objects.exists()


def test_R11_a_purchase_past_the_maximum_balance_says_the_largest_amount(make_account, sandbox):
    account = make_account(balance="9950.00")
    with pytest.raises(services.AboveMaximum, match=r"at most \$50\.00"):
        services.add_funds(account, Decimal("100"))
    assert sandbox.purchases("acme-ship") == []


def test_R11_the_carrier_refuses_too_when_shipdesk_balance_was_stale(make_account, sandbox):
    account = make_account(balance="100.00")
    services.sync_balance(account)  # the book is open: no fresh read before this purchase
    carrier_side = sandbox.get_account("acme-ship")
    carrier_side.balance = Decimal("9980.00")
    carrier_side.save()
    with pytest.raises(services.AboveMaximum, match=r"at most \$20\.00") as caught:
        services.add_funds(account, Decimal("100"))
    assert caught.value.largest == Decimal("20.00")
    assert sandbox.get_balance("acme-ship") == Decimal("9980.00")
    assert PostagePurchase.objects.get().status == PostagePurchase.Status.REJECTED


def test_R12_a_declined_card_leaves_the_balance_and_links_account_settings(make_account, sandbox):
    account = make_account(balance="30.00", card_declined=True)
    with pytest.raises(services.CardDeclined) as caught:
        services.add_funds(account, Decimal("50"))
    assert "(866) 634-4708" in caught.value.message
    assert "Account Settings" in caught.value.message
    # GetURL AccountSettingsPage, or ShipDesk's link that asks Stamps.com for it on click.
    assert caught.value.help_url.startswith("http") or "AccountSettingsPage" in (
        caught.value.help_url
    )
    assert sandbox.get_balance("acme-ship") == Decimal("30.00")
    account.refresh_from_db()
    assert account.balance == Decimal("30.00")
    assert ledger_balance(account) == Decimal("30.00")
    assert not LedgerEntry.objects.exclude(kind="adjustment").exists()
    assert PostagePurchase.objects.get().status == PostagePurchase.Status.REJECTED


def test_R3_an_unverified_account_cannot_add_funds(make_account, sandbox):
    account = make_account(status=CarrierAccount.Status.AWAITING_VERIFICATION)
    with pytest.raises(services.FundsError, match="866-634-4708"):
        services.add_funds(account, Decimal("25"))
    assert sandbox.purchases("acme-ship") == []
    assert not PostagePurchase.objects.exists()


def test_R14_a_timeout_is_retried_with_the_same_integrator_tx_id(make_account, sandbox):
    account = make_account()
    sandbox.set_fault("PurchasePostage", "timeout", delay=1.2, times=1)
    purchase = services.add_funds(account, Decimal("10"))
    assert purchase.status == PostagePurchase.Status.SUCCESS
    assert [p.integrator_tx_id for p in sandbox.purchases("acme-ship")] == [
        purchase.integrator_tx_id
    ]
    assert sandbox.get_balance("acme-ship") == Decimal("10.00")
    assert ledger_balance(account) == Decimal("10.00")


def test_R14_an_answer_dropped_after_the_carrier_committed_never_buys_twice(make_account, sandbox):
    account = make_account()
    sandbox.set_fault("PurchasePostage", "drop_after_commit", times=1)
    purchase = services.add_funds(account, Decimal("40"))
    assert purchase.status == PostagePurchase.Status.SUCCESS
    assert len(sandbox.purchases("acme-ship")) == 1
    assert sandbox.get_balance("acme-ship") == Decimal("40.00")
    account.refresh_from_db()
    assert account.balance == Decimal("40.00") == ledger_balance(account)
    assert LedgerEntry.objects.filter(kind="purchase").count() == 1


def test_R14_when_every_answer_is_lost_the_job_resolves_it_with_the_same_id(
    make_account, sandbox, settings
):
    account = make_account()
    settings.STAMPS_RETRIES = 0
    sandbox.set_fault("PurchasePostage", "drop_after_commit", times=1)
    purchase = services.add_funds(account, Decimal("15"))
    # The job (inline here) asked again with the same IntegratorTxID.
    purchase.refresh_from_db()
    assert purchase.status == PostagePurchase.Status.SUCCESS
    assert len(sandbox.purchases("acme-ship")) == 1
    assert sandbox.get_balance("acme-ship") == Decimal("15.00") == ledger_balance(account)


def test_R14_a_stale_control_total_is_read_again_then_bought_once(make_account, sandbox):
    account = make_account(balance="20.00")
    carrier_side = sandbox.get_account("acme-ship")
    carrier_side.control_total = Decimal("5.00")  # a label bought outside ShipDesk
    carrier_side.balance = Decimal("15.00")
    carrier_side.save()
    purchase = services.add_funds(account, Decimal("10"))
    assert purchase.status == PostagePurchase.Status.SUCCESS
    assert len(sandbox.purchases("acme-ship")) == 1
    account.refresh_from_db()
    assert account.control_total == Decimal("5.00")
    assert sandbox.get_balance("acme-ship") == Decimal("25.00")


def test_R10_a_pending_purchase_is_followed_by_the_job_until_it_settles(make_account, sandbox):
    account = make_account()
    sandbox.set_pending_settlement(calls=2, seconds=600)
    purchase = services.add_funds(account, Decimal("20.01"))  # the sandbox's pending amount
    purchase.refresh_from_db()
    assert purchase.status == PostagePurchase.Status.SUCCESS
    assert purchase.checks >= 1
    assert sandbox.get_balance("acme-ship") == Decimal("20.01")
    account.refresh_from_db()
    assert account.balance == Decimal("20.01") == ledger_balance(account)
    assert account.balance_synced_at is not None
