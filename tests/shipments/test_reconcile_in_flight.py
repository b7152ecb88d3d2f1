"""R14a, R14b, R28, R41: a label whose answer was lost is between the two books: Stamps.com has
charged it (or refunded it), ShipDesk has not recorded it yet. Reconciliation, support's
adjustment and a balance refresh wait for it, so it is counted once, when the retry or the
sweep records it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from funding import auto_funding, purchases, reconciliation
from funding.jobs import follow_all_refunds, reconcile_all
from funding.ledger import ledger_balance
from funding.models import BalanceCheck, BalanceDrift, PostagePurchase
from shipments import jobs, labels, voids
from shipments.models import Shipment
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)

WHY = "Label bought on stamps.com by hand, seen in its online reports."


@pytest.fixture
def lost_label(stamps, account, make_shippable, settings):
    """A label Stamps.com made and charged whose answer never reached ShipDesk (it is left
    ``buying``), after a first label that opened the book. Returns its order."""
    settings.STAMPS_RETRIES = 0

    def lose():
        labels.buy_label(make_shippable(), account, "US-PM")
        order = make_shippable()
        stamps.set_fault("CreateIndicium", "drop_after_commit")
        with pytest.raises(labels.LabelPending):
            labels.buy_label(order, account, "US-PM")
        stamps.clear_faults()
        assert Shipment.objects.get(order=order).status == Shipment.Status.BUYING
        return order

    return lose


def assert_books_agree(stamps, account) -> None:
    account.refresh_from_db()
    carrier = stamps.get_balance(account.username)
    assert ledger_balance(account) == carrier
    assert account.balance == carrier


def test_R14b_a_label_being_bought_is_not_taken_for_drift(stamps, account, lost_label, caplog):
    order = lost_label()
    assert stamps.get_balance(account.username) < ledger_balance(account)  # charged, unrecorded

    with caplog.at_level("INFO", logger="funding.reconciliation"):
        assert reconciliation.reconcile(account) is None  # the hourly job
    assert "a label is being bought; checked again later" in caplog.text
    assert not BalanceDrift.objects.exists()
    # Support sees that the books were not compared, since when and why.
    check = BalanceCheck.objects.get(account=account)
    first_wait = check.waiting_since
    assert check.compared_at is None and first_wait is not None
    assert "a label is being bought" in check.waiting_for and check.runs_waited == 1
    assert reconciliation.reconcile(account) is None  # the next hour's run
    check.refresh_from_db()
    assert check.runs_waited == 2 and check.waiting_since == first_wait

    labels.buy_label(order, account, "US-PM")  # the merchant's retry records it, once
    assert_books_agree(stamps, account)
    assert reconciliation.reconcile(account) is None
    assert not BalanceDrift.objects.exists()
    check.refresh_from_db()
    assert check.compared_at is not None and check.compared_at > first_wait
    assert check.waiting_since is None and check.waiting_for == "" and check.runs_waited == 0


def test_R14_a_run_that_cannot_read_the_carrier_is_noted_as_waiting(
    stamps, account, make_shippable
):
    labels.buy_label(make_shippable(), account, "US-PM")
    assert reconcile_all() == 0
    compared = BalanceCheck.objects.get(account=account).compared_at
    assert compared is not None

    stamps.set_fault("GetAccountInfo", "http500", times=0)  # Stamps.com down all hour
    assert reconcile_all() == 0
    stamps.clear_faults()
    check = BalanceCheck.objects.get(account=account)
    assert check.compared_at == compared  # the last comparison stays on show
    assert check.waiting_for.startswith("Stamps.com's balance could not be read:")
    assert check.runs_waited == 1


def test_R14b_support_cannot_adjust_while_a_label_is_being_bought_so_it_is_never_counted_twice(
    stamps, account, lost_label
):
    # A real drift first: a label bought at Stamps.com outside ShipDesk.
    purchases.sync_balance(account)
    carrier_side = stamps.get_account(account.username)
    carrier_side.balance -= Decimal("12.34")
    carrier_side.save(update_fields=["balance"])
    drift = reconciliation.reconcile(account)
    assert drift is not None and drift.difference == Decimal("-12.34")

    order = lost_label()  # then a label whose answer is lost
    agent = make_user("ops@shipdesk.test")
    with pytest.raises(purchases.FundsError, match="a label is being bought"):
        reconciliation.resolve_drift(drift, WHY, by=agent)
    drift.refresh_from_db()
    assert drift.resolved_at is None and drift.difference == Decimal("-12.34")

    jobs.sweep_labels(older_than=None)  # the sweep finishes the label
    assert Shipment.objects.get(order=order).status == Shipment.Status.BOUGHT
    entry = reconciliation.resolve_drift(drift, WHY, by=agent)
    assert entry is not None and entry.amount == Decimal("-12.34")  # the drift, not the label
    assert_books_agree(stamps, account)
    assert reconciliation.reconcile(account) is None


def test_R14a_refreshing_the_balance_while_a_label_is_being_bought_lowers_it_once(
    stamps, account, lost_label
):
    # Auto-funding would buy if the balance were lowered by the lost label twice.
    order = lost_label()
    account.refresh_from_db()
    shown = account.balance
    price = Shipment.objects.get(order=order).amount
    auto_funding.save_auto_funding(
        account,
        enabled=True,
        threshold=shown - price - price / 2,
        amount=Decimal("50.00"),
        max_per_day=5,
    )

    purchases.sync_balance(account)  # "Refresh balance" on the funds page
    account.refresh_from_db()
    assert account.balance == shown  # ShipDesk's own figure: the label is not recorded yet

    labels.buy_label(order, account, "US-PM")  # the retry records it and checks auto-funding
    account.refresh_from_db()
    assert account.balance == shown - price
    assert_books_agree(stamps, account)
    assert not PostagePurchase.objects.exists()


def test_R14b_R41_a_label_being_voided_is_not_taken_for_drift_nor_counted_twice(
    stamps, account, make_shippable
):
    stamps.set_refund_delay(0)  # USPS approves at once: the balance rises with the void
    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    stamps.set_fault("CancelIndicium", "drop_after_commit", times=0)
    with pytest.raises(labels.LabelPending):
        voids.void_label(shipment)
    stamps.clear_faults()
    assert stamps.get_balance(account.username) > ledger_balance(account)  # refunded, unknown
    account.refresh_from_db()
    shown = account.balance

    assert reconciliation.reconcile(account) is None
    assert not BalanceDrift.objects.exists()
    purchases.sync_balance(account)  # "Refresh balance"
    account.refresh_from_db()
    assert account.balance == shown  # the refund is not recorded yet

    jobs.sweep_labels(older_than=None)  # the void is recorded
    follow_all_refunds()  # its refund followed and credited, once
    assert_books_agree(stamps, account)
    assert reconciliation.reconcile(account) is None
    assert not BalanceDrift.objects.exists()
