"""R44a: at most one unconfirmed postage purchase per carrier account. A purchase whose answer
was lost is judged from the carrier's balance (R44), and the balance can't tell two lost
purchases apart, so while one is being confirmed no other is sent on that account: not by
hand, not by auto-funding, not for a batch."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from funding import auto_funding, jobs, ledger, purchases
from funding.models import AutoFunding, PostagePurchase

pytestmark = pytest.mark.django_db(transaction=True)

# 10:00 AM in the store's time zone (America/New_York).
MORNING = "2026-06-10T14:00:00+00:00"
STILL_CONFIRMING = (
    "A $10.00 purchase from 10:00 AM is still being confirmed by Stamps.com; ShipDesk will "
    "add it as soon as Stamps.com confirms. Try again in a minute."
)


@pytest.fixture
def jobs_queued(monkeypatch):
    """Background jobs are queued, not run: the follow-up of a lost answer waits."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)


def _lost_purchase(sandbox, account, amount: str = "10") -> PostagePurchase:
    """A purchase Stamps.com made whose answer never came back: unconfirmed in ShipDesk."""
    sandbox.set_fault("PurchasePostage", "drop_after_commit", times=3)
    purchase = purchases.add_funds(account, Decimal(amount))
    sandbox.clear_faults()
    assert purchase.status == PostagePurchase.Status.UNKNOWN
    return purchase


def _label_at_the_carrier(sandbox, account, cost: str, reference: str) -> None:
    carrier_side = sandbox.get_account(account.username)
    carrier_side.balance -= Decimal(cost)
    carrier_side.control_total += Decimal(cost)
    carrier_side.save(update_fields=["balance", "control_total"])
    with transaction.atomic():
        ledger.debit_for_label(account, Decimal(cost), reference)


@pytest.mark.clock(MORNING)
def test_R44a_no_second_purchase_is_sent_while_one_is_being_confirmed(
    sandbox_account, sandbox, settings, jobs_queued
):
    settings.STAMPS_RETRIES = 0
    account = sandbox_account(balance="50.00")
    first = _lost_purchase(sandbox, account)

    with pytest.raises(purchases.StillConfirming) as refused:
        purchases.add_funds(account, Decimal("10"))
    assert refused.value.message == STILL_CONFIRMING
    # Nothing saved, nothing sent: Stamps.com holds the one purchase it made.
    assert list(PostagePurchase.objects.values_list("pk", flat=True)) == [first.pk]
    assert len(sandbox.purchases("acme-ship")) == 1

    # The follow-up settles the one purchase from the balance, with no guessing: it is that one.
    first = purchases.resolve_purchase(first)
    assert first.status == PostagePurchase.Status.SUCCESS
    assert ledger.ledger_balance(account) == Decimal("60.00") == sandbox.get_balance("acme-ship")

    # Confirmed: the next purchase goes through.
    second = purchases.add_funds(account, Decimal("10"))
    assert second.status == PostagePurchase.Status.SUCCESS
    assert ledger.ledger_balance(account) == Decimal("70.00") == sandbox.get_balance("acme-ship")


@pytest.mark.clock(MORNING)
def test_R44a_the_funds_page_says_wait_with_a_4xx_and_saves_nothing(
    sandbox_account, sandbox, settings, jobs_queued, owner_client
):
    settings.STAMPS_RETRIES = 0
    account = sandbox_account(balance="50.00")
    _lost_purchase(sandbox, account)

    response = owner_client.post(f"/funds/{account.pk}/add/", {"amount": "25"})

    assert response.status_code == 400
    assert STILL_CONFIRMING in response.text
    assert 'value="25"' in response.text  # the amount typed is still there to try again
    assert PostagePurchase.objects.count() == 1
    assert len(sandbox.purchases("acme-ship")) == 1


def test_R44a_the_database_holds_one_unconfirmed_purchase_per_account(sandbox_account, sandbox):
    """The rule holds across processes even where no lock is taken: a second unconfirmed
    purchase can't be saved (SQLite and PostgreSQL alike)."""
    account = sandbox_account(balance="50.00")
    purchases.reserve_purchase(account, Decimal("10"))  # sending
    with pytest.raises(IntegrityError), transaction.atomic():
        PostagePurchase.objects.create(
            merchant_id=account.merchant_id, account=account, amount=Decimal("25")
        )
    # Settled ones don't count: another account's, or a rejected one, can sit beside it.
    PostagePurchase.objects.create(
        merchant_id=account.merchant_id,
        account=account,
        amount=Decimal("25"),
        status=PostagePurchase.Status.REJECTED,
    )


def test_R44a_R13_auto_funding_waits_for_the_purchase_being_confirmed_then_tops_up_once(
    sandbox_account, sandbox, settings, jobs_queued
):
    settings.STAMPS_RETRIES = 0
    account = sandbox_account(balance="60.00")
    auto_funding.save_auto_funding(
        account, enabled=True, threshold=Decimal("50"), amount=Decimal("25"), max_per_day=5
    )
    manual = _lost_purchase(sandbox, account)  # landed at Stamps.com: 70.00 there
    _label_at_the_carrier(sandbox, account, "30.00", "L-1")  # ShipDesk sees 30.00 < 50.00

    assert auto_funding.check_auto_funding(account.pk) is None
    auto = AutoFunding.objects.get(account=account)
    assert auto.armed and "Waiting for Stamps.com to confirm a $10.00 purchase" in (
        auto.last_skip_reason
    )
    assert len(sandbox.purchases("acme-ship")) == 1

    # The follow-up confirms it (40.00, still below 50.00), then auto-funding looks again.
    jobs.follow_purchase(manual.pk)

    manual.refresh_from_db()
    assert manual.status == PostagePurchase.Status.SUCCESS
    [auto_purchase] = PostagePurchase.objects.filter(automatic=True)
    assert auto_purchase.status == PostagePurchase.Status.SUCCESS
    assert len(sandbox.purchases("acme-ship")) == 2
    assert ledger.ledger_balance(account) == Decimal("65.00") == sandbox.get_balance("acme-ship")
    # Back above the threshold: nothing more is bought, and the wait is no longer shown.
    assert auto_funding.check_auto_funding(account.pk) is None
    assert AutoFunding.objects.get(account=account).last_skip_reason == ""
    assert len(sandbox.purchases("acme-ship")) == 2


@pytest.mark.clock(MORNING)
def test_R44a_a_batch_is_not_funded_while_a_purchase_is_being_confirmed(
    sandbox_account, sandbox, settings, jobs_queued
):
    settings.STAMPS_RETRIES = 0
    account = sandbox_account(balance="20.00")
    auto_funding.save_auto_funding(
        account, enabled=True, threshold=Decimal("10"), amount=Decimal("25"), max_per_day=5
    )
    _lost_purchase(sandbox, account)

    with pytest.raises(purchases.StillConfirming, match="still being confirmed"):
        auto_funding.fund_batch(account, Decimal("80.00"), key="batch:1")
    assert PostagePurchase.objects.count() == 1
    assert len(sandbox.purchases("acme-ship")) == 1


def test_R44a_a_batch_is_funded_one_confirmed_purchase_after_another(sandbox_account, sandbox):
    account = sandbox_account(balance="20.00")
    auto_funding.save_auto_funding(
        account, enabled=True, threshold=Decimal("10"), amount=Decimal("25"), max_per_day=5
    )

    bought = auto_funding.fund_batch(account, Decimal("80.00"), key="batch:1")

    assert [p.status for p in bought] == [PostagePurchase.Status.SUCCESS] * 3
    assert len(sandbox.purchases("acme-ship")) == 3
    assert ledger.ledger_balance(account) == Decimal("95.00") == sandbox.get_balance("acme-ship")


def test_R44a_a_batch_waits_when_one_of_its_purchases_is_not_confirmed_at_once(
    sandbox_account, sandbox, settings, jobs_queued
):
    settings.STAMPS_RETRIES = 0
    account = sandbox_account(balance="20.00")
    auto_funding.save_auto_funding(
        account, enabled=True, threshold=Decimal("10"), amount=Decimal("25"), max_per_day=5
    )
    sandbox.set_fault("PurchasePostage", "drop_after_commit", times=1)

    with pytest.raises(auto_funding.PostageShort, match="not confirmed yet"):
        auto_funding.fund_batch(account, Decimal("80.00"), key="batch:1")

    # The first purchase's answer was lost: the other two were never sent.
    assert len(sandbox.purchases("acme-ship")) == 1
    assert PostagePurchase.objects.get().status == PostagePurchase.Status.UNKNOWN
