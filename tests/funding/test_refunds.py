"""R41: a void is a refund request. The ledger is credited exactly once, when Stamps.com has
credited the balance; until then the label, the funds page and the ledger say "refund
requested", and the ledger equals the carrier's balance at every check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from funding import jobs, purchases, reconciliation, refunds
from funding.ledger import ledger_balance
from funding.models import BalanceDrift, LedgerEntry, PostagePurchase, Refund
from shipments import voids
from shipments.models import Shipment
from tests.factories import make_ship_from
from tests.support import credit_refunds

pytestmark = pytest.mark.django_db(transaction=True)
DELAY = 3 * 24 * 3600  # three days, as USPS might take


@pytest.fixture
def account(sandbox_account, sandbox):
    sandbox.set_refund_delay(DELAY)
    account = sandbox_account("acme-refunds", balance="100.00")
    purchases.sync_balance(account)  # the book opens at the carrier's 100.00
    return account


@pytest.fixture
def voided(account, merchant, bought_label, owner):
    label = bought_label(account, make_ship_from(merchant), service="US-XM")  # over $10
    return voids.void_label(Shipment.objects.get(pk=label.pk), by=owner)


def void_refunds(account) -> list[Decimal]:
    kind = LedgerEntry.Kind.VOID_REFUND
    return [e.amount for e in LedgerEntry.objects.filter(account=account, kind=kind)]


def assert_books_agree(sandbox, account) -> None:
    account.refresh_from_db()
    assert ledger_balance(account) == sandbox.get_balance(account.username)


def test_a_void_is_only_requested_and_every_page_says_so_R41(
    voided, account, sandbox, owner_client
):
    assert void_refunds(account) == []
    account.refresh_from_db()
    assert account.balance == Decimal("100.00") - voided.amount
    assert_books_agree(sandbox, account)
    assert refunds.pending_total(account) == voided.amount

    label_page = owner_client.get(reverse("shipments:detail", args=[voided.pk])).text
    assert f"refund of ${voided.amount} requested" in label_page
    funds_page = owner_client.get(reverse("funding:home")).text
    assert f"+ ${voided.amount} refund requested, not in the balance yet" in funds_page
    assert "Refund requested" in funds_page
    assert "ledger-void_refund" not in funds_page  # nothing in the ledger yet


def test_the_follow_up_credits_nothing_before_the_carrier_does_R41(voided, account, sandbox):
    sandbox.set_clock(timezone.now() + dt.timedelta(seconds=DELAY - 60))
    assert jobs.follow_all_refunds() == 0
    assert void_refunds(account) == []
    refund = Refund.objects.get()
    assert refund.pending and refund.checks
    assert refund.expected_by is not None  # the carrier's estimate, shown on the funds page
    assert_books_agree(sandbox, account)
    assert reconciliation.reconcile(account) is None  # a pending refund is not drift


def test_the_follow_up_credits_the_refund_once_when_the_carrier_has_R41(
    voided, account, sandbox, owner_client
):
    assert credit_refunds(sandbox) == 1
    assert void_refunds(account) == [voided.amount]
    assert_books_agree(sandbox, account)
    assert ledger_balance(account) == Decimal("100.00")
    refund = Refund.objects.get()
    assert (refund.status, refund.approved) == (Refund.Status.REFUNDED, voided.amount)
    assert LedgerEntry.objects.get(kind=LedgerEntry.Kind.VOID_REFUND).by == voided.voided_by

    # Again, by the schedule, the funds page's refresh and reconciliation: nothing more.
    assert jobs.follow_all_refunds() == 0
    owner_client.post(reverse("funding:sync", args=[account.pk]))
    assert reconciliation.reconcile(account) is None
    assert void_refunds(account) == [voided.amount]
    assert not BalanceDrift.objects.exists()

    label_page = owner_client.get(reverse("shipments:detail", args=[voided.pk])).text
    assert f"refunded ${voided.amount}" in label_page
    funds_page = owner_client.get(reverse("funding:home")).text
    assert "not in the balance yet" not in funds_page
    assert "Refunded" in funds_page and "ledger-void_refund" in funds_page


def test_the_funds_page_refresh_picks_up_a_credited_refund_R41(
    voided, account, sandbox, owner_client
):
    sandbox.set_clock(timezone.now() + dt.timedelta(seconds=DELAY + 1))
    owner_client.post(reverse("funding:sync", args=[account.pk]))
    assert void_refunds(account) == [voided.amount]
    account.refresh_from_db()
    assert account.balance == Decimal("100.00") == ledger_balance(account)


def test_a_balance_read_before_the_refund_is_followed_counts_it_once_R14a_R41(
    voided, account, sandbox
):
    sandbox.set_clock(timezone.now() + dt.timedelta(seconds=DELAY + 1))  # USPS approved it
    # A plain read (auto-funding's, the admin's "Resync balance"), refunds not asked about:
    # the carrier's figure holds the refund, the ledger not yet.
    purchases.sync_balance(account)
    account.refresh_from_db()
    assert account.balance == Decimal("100.00") - voided.amount  # ShipDesk's own figure
    assert jobs.follow_all_refunds() == 1  # the schedule credits it, once
    assert void_refunds(account) == [voided.amount]
    account.refresh_from_db()
    assert account.balance == Decimal("100.00") == ledger_balance(account)
    assert_books_agree(sandbox, account)


def test_a_refund_landing_is_never_mistaken_for_a_lost_purchase_R41_R44(voided, account, sandbox):
    # The carrier credits the refund (ShipDesk has not looked yet), and a purchase's request
    # never reaches the carrier (ShipDesk can't tell): the balance is higher than the ledger
    # by more than the purchase, but it is the refund.
    sandbox.set_clock(timezone.now() + dt.timedelta(seconds=DELAY + 1))
    sandbox.set_fault("PurchasePostage", "http500")
    purchase = purchases.add_funds(account, Decimal("10.00"))  # followed at once (inline job)
    purchase.refresh_from_db()
    assert purchase.status == PostagePurchase.Status.REJECTED  # not bought, never settled
    assert purchase.rejection_reason == purchases.NOT_BOUGHT
    assert void_refunds(account) == [voided.amount]  # the rise was the refund
    assert_books_agree(sandbox, account)
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PURCHASE).exists()


def test_a_refund_for_a_void_whose_answer_was_lost_is_never_taken_for_a_purchase_R41_R44(
    account, merchant, bought_label, sandbox
):
    from shipments import jobs as shipment_jobs
    from shipments.labels import LabelPending

    sandbox.set_refund_delay(0)  # USPS approves at once: the balance rises with the void
    label = bought_label(account, make_ship_from(merchant), service="US-XM")
    sandbox.set_fault("CancelIndicium", "drop_after_commit", times=0)
    with pytest.raises(LabelPending):
        voids.void_label(Shipment.objects.get(pk=label.pk))
    sandbox.clear_faults()
    # ShipDesk does not know the void happened; a purchase's request is lost meanwhile.
    sandbox.set_fault("PurchasePostage", "http500")
    purchase = purchases.add_funds(account, Decimal("10.00"))  # followed at once (inline job)
    purchase.refresh_from_db()
    assert purchase.status != PostagePurchase.Status.SUCCESS  # the rise is not this purchase
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PURCHASE).exists()

    shipment_jobs.sweep_labels(older_than=None)  # the void is recorded, its refund followed
    jobs.follow_all_refunds()
    purchases.resolve_purchase(purchase)
    purchase.refresh_from_db()
    assert purchase.status == PostagePurchase.Status.REJECTED
    assert void_refunds(account) == [label.amount]
    assert_books_agree(sandbox, account)
