"""R14, R27, R41: a void whose CancelIndicium answer is lost (the carrier accepted it,
ShipDesk heard nothing) is recorded exactly once, by the same void, the next attempt or the
sweep; its refund reaches the ledger once, when the carrier credits it."""

from __future__ import annotations

import pytest

from funding.ledger import ledger_balance
from funding.models import LedgerEntry, Refund
from orders.models import Order
from shipments import labels, voids
from shipments.models import Shipment
from tests.support import credit_refunds

pytestmark = pytest.mark.django_db(transaction=True)


def refunds(account) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.VOID_REFUND))


def assert_voided_once(stamps, account, shipment) -> None:
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.VOIDED
    assert Order.objects.get(pk=shipment.order_id).status == Order.Status.AWAITING_SHIPMENT
    assert [r.amount for r in Refund.objects.filter(account=account)] == [shipment.amount]
    assert_books_agree(stamps, account)
    credit_refunds(stamps)  # R41: USPS approves; the follow-up credits it once
    assert [r.amount for r in refunds(account)] == [shipment.amount]
    assert_books_agree(stamps, account)


def assert_books_agree(stamps, account) -> None:
    account.refresh_from_db()
    carrier = stamps.get_balance(account.username)
    assert account.balance == carrier
    assert ledger_balance(account) == carrier  # the book opened with the carrier's balance


@pytest.mark.parametrize("fault", ["drop_after_commit", "http500", "timeout"])
def test_R14_a_lost_CancelIndicium_answer_is_re_sent_and_refunded_once(
    stamps, account, make_shippable, fault
):
    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    stamps.set_fault("CancelIndicium", fault, delay=3.2 if fault == "timeout" else 0)
    voided = voids.void_label(shipment)
    assert voided.status == Shipment.Status.VOIDED
    assert_voided_once(stamps, account, shipment)


def test_R14_a_void_the_carrier_keeps_dropping_is_left_voiding_and_the_sweep_records_it(
    stamps, account, make_shippable
):
    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    stamps.set_fault("CancelIndicium", "drop_after_commit", times=0)
    with pytest.raises(labels.LabelPending, match="void"):
        voids.void_label(shipment)
    shipment.refresh_from_db()
    # The carrier took the void; ShipDesk doesn't know yet. Not printable, not requested twice.
    assert shipment.status == Shipment.Status.VOIDING
    assert refunds(account) == []
    assert stamps.indicia(account.username)[0].voided_at is not None
    with pytest.raises(labels.LabelError, match="being voided"):
        labels.buy_label(Order.objects.get(pk=shipment.order_id), account, "US-PM")

    from shipments import jobs

    stamps.clear_faults()
    assert jobs.sweep_labels(older_than=None) == 1
    assert_voided_once(stamps, account, shipment)
    voids.void_label(shipment)  # again: nothing more
    assert_voided_once(stamps, account, shipment)


def test_R14_a_void_interrupted_after_the_carrier_answered_finishes_on_the_next_attempt(
    stamps, account, make_shippable, monkeypatch
):
    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    real_record = voids._record_void

    def crash(*args):
        raise KeyboardInterrupt("worker killed")

    monkeypatch.setattr(voids, "_record_void", crash)
    with pytest.raises(KeyboardInterrupt):
        voids.void_label(shipment)
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.VOIDING
    monkeypatch.setattr(voids, "_record_void", real_record)
    voids.void_label(Shipment.objects.get(pk=shipment.pk))
    assert_voided_once(stamps, account, shipment)


def test_R27_a_void_refused_by_the_carrier_puts_the_label_back(stamps, account, make_shippable):
    import datetime as dt

    from django.utils import timezone

    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    stamps.set_clock(timezone.now() + dt.timedelta(days=29))
    with pytest.raises(labels.LabelError, match="28 days"):
        voids.void_label(shipment)
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.BOUGHT
    assert refunds(account) == []


def test_R28_a_purchase_nobody_came_back_for_is_finished_by_the_sweep(
    stamps, account, make_shippable, settings
):
    settings.STAMPS_RETRIES = 0
    order = make_shippable()
    stamps.set_fault("CreateIndicium", "drop_after_commit")
    with pytest.raises(labels.LabelPending):
        labels.buy_label(order, account, "US-PM")
    from shipments import jobs

    assert jobs.sweep_labels(older_than=None) == 1
    shipment = Shipment.objects.get(order=order)
    assert shipment.status == Shipment.Status.BOUGHT
    account.refresh_from_db()
    assert account.balance == stamps.get_balance(account.username)
    assert LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.LABEL).count() == 1
