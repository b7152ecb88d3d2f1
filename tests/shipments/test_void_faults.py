"""R14, R27: a void whose CancelIndicium answer is lost (the carrier refunded, ShipDesk
heard nothing) is recorded exactly once, by the same void, the next attempt or the sweep."""

from __future__ import annotations

import pytest

from funding.ledger import ledger_balance
from funding.models import LedgerEntry
from orders.models import Order
from shipments import labels
from shipments.models import Shipment

pytestmark = pytest.mark.django_db(transaction=True)


def refunds(account) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.VOID_REFUND))


def assert_voided_once(stamps, account, shipment) -> None:
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.VOIDED
    assert [r.amount for r in refunds(account)] == [shipment.amount]
    account.refresh_from_db()
    carrier = stamps.get_balance(account.username)
    assert account.balance == carrier
    assert ledger_balance(account) == carrier  # the book opened with the carrier's balance
    assert Order.objects.get(pk=shipment.order_id).status == Order.Status.AWAITING_SHIPMENT


@pytest.mark.parametrize("fault", ["drop_after_commit", "http500", "timeout"])
def test_R14_a_lost_CancelIndicium_answer_is_re_sent_and_refunded_once(
    stamps, account, make_shippable, fault
):
    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    stamps.set_fault("CancelIndicium", fault, delay=3.2 if fault == "timeout" else 0)
    voided = labels.void_label(shipment)
    assert voided.status == Shipment.Status.VOIDED
    assert_voided_once(stamps, account, shipment)


def test_R14_a_void_the_carrier_keeps_dropping_is_left_voiding_and_the_sweep_records_it(
    stamps, account, make_shippable
):
    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    stamps.set_fault("CancelIndicium", "drop_after_commit", times=0)
    with pytest.raises(labels.LabelPending, match="void"):
        labels.void_label(shipment)
    shipment.refresh_from_db()
    # The carrier refunded; ShipDesk doesn't know yet. Not printable, not refunded twice.
    assert shipment.status == Shipment.Status.VOIDING
    assert refunds(account) == []
    assert stamps.indicia(account.username)[0].voided_at is not None
    with pytest.raises(labels.LabelError, match="being voided"):
        labels.buy_label(Order.objects.get(pk=shipment.order_id), account, "US-PM")

    from shipments import jobs

    stamps.clear_faults()
    assert jobs.sweep_labels(older_than=None) == 1
    assert_voided_once(stamps, account, shipment)
    labels.void_label(shipment)  # again: nothing more
    assert_voided_once(stamps, account, shipment)


def test_R14_a_void_interrupted_after_the_carrier_answered_finishes_on_the_next_attempt(
    stamps, account, make_shippable, monkeypatch
):
    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    real_record = labels._record_void

    def crash(*args):
        raise KeyboardInterrupt("worker killed")

    monkeypatch.setattr(labels, "_record_void", crash)
    with pytest.raises(KeyboardInterrupt):
        labels.void_label(shipment)
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.VOIDING
    monkeypatch.setattr(labels, "_record_void", real_record)
    labels.void_label(Shipment.objects.get(pk=shipment.pk))
    assert_voided_once(stamps, account, shipment)


def test_R27_a_void_refused_by_the_carrier_puts_the_label_back(stamps, account, make_shippable):
    import datetime as dt

    from django.utils import timezone

    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    stamps.set_clock(timezone.now() + dt.timedelta(days=29))
    with pytest.raises(labels.LabelError, match="28 days"):
        labels.void_label(shipment)
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
