"""Add funds against the Stamps.com sandbox over HTTP: R3, R10-R12, R14 and lost answers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carriers.models import CarrierAccount
from funding import purchases
from funding.ledger import ledger_balance
from funding.models import LedgerEntry, PostagePurchase

pytestmark = pytest.mark.django_db(transaction=True)


def _ledger(account):
    return list(
        LedgerEntry.objects.filter(account=account).order_by("pk").values_list("kind", "amount")
    )


def test_R10_adding_funds_buys_with_the_card_on_file_and_writes_one_ledger_entry(
    sandbox_account, sandbox
):
    account = sandbox_account(balance="12.00")
    purchase = purchases.add_funds(account, Decimal("25"))
    assert purchase.status == PostagePurchase.Status.SUCCESS
    assert sandbox.get_balance("acme-ship") == Decimal("37.00")
    [bought] = sandbox.purchases("acme-ship")
    assert bought.integrator_tx_id == purchase.integrator_tx_id
    account.refresh_from_db()
    assert account.balance == Decimal("37.00")
    assert _ledger(account) == [("adjustment", Decimal("12.00")), ("purchase", Decimal("25.00"))]
    assert ledger_balance(account) == Decimal("37.00")


def test_R10_less_than_ten_dollars_is_refused_before_asking_stamps_com(sandbox_account, sandbox):
    account = sandbox_account()
    with pytest.raises(purchases.BelowMinimum, match=r"at least \$10\.00"):
        purchases.add_funds(account, Decimal("9.99"))
    assert sandbox.purchases("acme-ship") == []
    assert not PostagePurchase.objects.exists()


def test_R11_a_purchase_past_the_maximum_balance_says_the_largest_amount(sandbox_account, sandbox):
    account = sandbox_account(balance="9950.00")
    with pytest.raises(purchases.AboveMaximum, match=r"at most \$50\.00"):
        purchases.add_funds(account, Decimal("100"))
    assert sandbox.purchases("acme-ship") == []


def test_R11_the_carrier_refuses_too_when_shipdesk_balance_was_stale(sandbox_account, sandbox):
    account = sandbox_account(balance="100.00")
    purchases.sync_balance(account)  # the book is open: no fresh read before this purchase
    carrier_side = sandbox.get_account("acme-ship")
    carrier_side.balance = Decimal("9980.00")
    carrier_side.save()
    with pytest.raises(purchases.AboveMaximum, match=r"at most \$20\.00") as caught:
        purchases.add_funds(account, Decimal("100"))
    assert caught.value.largest == Decimal("20.00")
    assert sandbox.get_balance("acme-ship") == Decimal("9980.00")
    assert PostagePurchase.objects.get().status == PostagePurchase.Status.REJECTED


def test_R12_a_declined_card_leaves_the_balance_and_links_account_settings(
    sandbox_account, sandbox
):
    account = sandbox_account(balance="30.00", card_declined=True)
    with pytest.raises(purchases.FundsError) as caught:
        purchases.add_funds(account, Decimal("50"))
    assert "(866) 634-4708" in caught.value.message
    assert "Account Settings" in caught.value.message
    # ShipDesk's link that asks Stamps.com for its Account Settings page (GetURL) on click.
    fix = caught.value.fix
    assert fix.url == f"/settings/carriers/{account.pk}/open/AccountSettingsPage/"
    assert fix.text == "Open Stamps.com Account Settings" and fix.new_tab
    assert sandbox.get_balance("acme-ship") == Decimal("30.00")
    account.refresh_from_db()
    assert account.balance == Decimal("30.00")
    assert ledger_balance(account) == Decimal("30.00")
    assert not LedgerEntry.objects.exclude(kind="adjustment").exists()
    assert PostagePurchase.objects.get().status == PostagePurchase.Status.REJECTED


def test_R3_an_unverified_account_cannot_add_funds(sandbox_account, sandbox):
    account = sandbox_account(status=CarrierAccount.Status.AWAITING_VERIFICATION)
    with pytest.raises(purchases.FundsError, match="866-634-4708"):
        purchases.add_funds(account, Decimal("25"))
    assert sandbox.purchases("acme-ship") == []
    assert not PostagePurchase.objects.exists()


def test_R44_a_timed_out_purchase_is_judged_by_the_balance_never_resent(sandbox_account, sandbox):
    account = sandbox_account()
    sandbox.set_fault("PurchasePostage", "timeout", delay=1.2, times=1)
    purchase = purchases.add_funds(account, Decimal("10"))
    purchase.refresh_from_db()
    # The carrier never did it (the balance says so): not bought, and the merchant is told.
    assert purchase.status == PostagePurchase.Status.REJECTED
    assert purchase.rejection_reason == purchases.NOT_BOUGHT
    assert sandbox.purchases("acme-ship") == []
    assert sandbox.get_balance("acme-ship") == Decimal("0.00") == ledger_balance(account)


def test_R14_an_answer_dropped_after_the_carrier_committed_never_buys_twice(
    sandbox_account, sandbox
):
    account = sandbox_account()
    sandbox.set_fault("PurchasePostage", "drop_after_commit", times=1)
    purchase = purchases.add_funds(account, Decimal("40"))
    purchase.refresh_from_db()
    assert purchase.status == PostagePurchase.Status.SUCCESS
    assert len(sandbox.purchases("acme-ship")) == 1
    assert sandbox.get_balance("acme-ship") == Decimal("40.00")
    account.refresh_from_db()
    assert account.balance == Decimal("40.00") == ledger_balance(account)
    assert LedgerEntry.objects.filter(kind="purchase").count() == 1


def test_R14_when_every_answer_is_lost_the_job_resolves_it_with_the_same_id(
    sandbox_account, sandbox, settings
):
    account = sandbox_account()
    settings.STAMPS_RETRIES = 0
    sandbox.set_fault("PurchasePostage", "drop_after_commit", times=1)
    purchase = purchases.add_funds(account, Decimal("15"))
    # The job (inline here) found it in the carrier's balance (R44: never asked again).
    purchase.refresh_from_db()
    assert purchase.status == PostagePurchase.Status.SUCCESS
    assert len(sandbox.purchases("acme-ship")) == 1
    assert sandbox.get_balance("acme-ship") == Decimal("15.00") == ledger_balance(account)


def test_R14_a_stale_control_total_is_read_again_then_bought_once(sandbox_account, sandbox):
    account = sandbox_account(balance="20.00")
    carrier_side = sandbox.get_account("acme-ship")
    carrier_side.control_total = Decimal("5.00")  # a label bought outside ShipDesk
    carrier_side.balance = Decimal("15.00")
    carrier_side.save()
    purchase = purchases.add_funds(account, Decimal("10"))
    assert purchase.status == PostagePurchase.Status.SUCCESS
    assert len(sandbox.purchases("acme-ship")) == 1
    account.refresh_from_db()
    assert account.control_total == Decimal("5.00")
    assert sandbox.get_balance("acme-ship") == Decimal("25.00")


def test_R10_a_pending_purchase_is_followed_by_the_job_until_it_settles(sandbox_account, sandbox):
    account = sandbox_account()
    sandbox.set_pending_settlement(calls=2, seconds=600)
    purchase = purchases.add_funds(account, Decimal("20.01"))  # the sandbox's pending amount
    purchase.refresh_from_db()
    assert purchase.status == PostagePurchase.Status.SUCCESS
    assert purchase.checks >= 1
    assert sandbox.get_balance("acme-ship") == Decimal("20.01")
    account.refresh_from_db()
    assert account.balance == Decimal("20.01") == ledger_balance(account)
    assert account.balance_synced_at is not None


def test_R12_the_funds_page_shows_the_decline_with_a_link_to_account_settings(
    sandbox_account, sandbox, owner_client
):
    account = sandbox_account(balance="30.00", card_declined=True)
    response = owner_client.post(f"/funds/{account.pk}/add/", {"amount": "50"})
    assert response.status_code == 400
    assert "was declined, so no postage was added" in response.text
    link = f"/settings/carriers/{account.pk}/open/AccountSettingsPage/"
    assert f'<a href="{link}" target="_blank" rel="noopener">Open Stamps.com Account' in (
        response.text
    )
    opened = owner_client.get(link)
    assert opened.status_code == 302 and "/sandbox/stamps/pages/" in opened["Location"]
