"""Buying and voiding labels against the sandbox: R3, R24-R29 and idempotency (R28) under
every injected fault."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from carriers.models import CarrierAccount, CarrierCall
from funding import purchases
from funding.ledger import ledger_balance
from funding.models import LedgerEntry
from funding.purchases import sync_balance
from orders.models import Order
from shipments import labels, printing, rating, voids
from shipments.models import Shipment, ShippingSettings
from shipments.notifications import notification_payload
from tests.labels_read import page_count, pdf_text, tracking_numbers
from tests.shipments.conftest import international
from tests.support import credit_refunds

pytestmark = pytest.mark.django_db(transaction=True)


def label_debits(account) -> list[LedgerEntry]:
    return list(LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.LABEL))


def assert_bought_once(stamps, account, order) -> Shipment:
    """Exactly one label at the carrier and in ShipDesk, one debit, balances equal."""
    indicia = stamps.indicia(account.username)
    shipments = list(Shipment.objects.filter(order=order, status=Shipment.Status.BOUGHT))
    assert len(indicia) == 1
    assert len(shipments) == 1
    assert shipments[0].integrator_tx_id == indicia[0].integrator_tx_id
    debits = label_debits(account)
    assert len(debits) == 1
    assert -debits[0].amount == shipments[0].amount == indicia[0].total
    account.refresh_from_db()
    assert account.balance == stamps.get_balance(account.username)
    assert Order.objects.get(pk=order.pk).status == Order.Status.SHIPPED
    return shipments[0]


def printed(shipment: Shipment, layout: str = "4x6", **options) -> bytes:
    """What the merchant's printer gets for ``shipment``."""
    job = printing.print_job([shipment], printing.PrintOptions(layout=layout, **options), "t")
    return b"".join(job.chunks)


def test_R28_buy_label_charges_once_and_ships_the_order(stamps, account, make_shippable):
    order = make_shippable()
    shipment = labels.buy_label(order, account, "US-PM", timezone.localdate())
    assert shipment.status == Shipment.Status.BOUGHT
    assert shipment.tracking_number.startswith("9205")
    assert_bought_once(stamps, account, order)
    # The book opened with the carrier's balance before the label (R14).
    assert ledger_balance(account) == stamps.get_balance(account.username)


@pytest.mark.parametrize("fault", ["timeout", "http500", "drop_after_commit"])
def test_R28_a_retry_after_a_fault_on_CreateIndicium_never_buys_twice(
    stamps, account, make_shippable, settings, fault
):
    settings.STAMPS_RETRIES = 0  # the client gives up at once: ShipDesk's own retry is tested
    order = make_shippable()
    stamps.set_fault("CreateIndicium", fault, delay=3.2 if fault == "timeout" else 0)
    with pytest.raises(labels.LabelPending):
        labels.buy_label(order, account, "US-PM")
    pending = Shipment.objects.get(order=order)
    assert pending.status == Shipment.Status.BUYING
    assert label_debits(account) == []
    committed = len(stamps.indicia(account.username))
    assert committed == (1 if fault == "drop_after_commit" else 0)

    shipment = labels.buy_label(order, account, "US-PM")
    assert shipment.integrator_tx_id == pending.integrator_tx_id
    assert_bought_once(stamps, account, order)


def test_R28_the_client_retries_a_timeout_with_the_same_IntegratorTxID(
    stamps, account, make_shippable
):
    order = make_shippable()
    stamps.set_fault("CreateIndicium", "drop_after_commit")
    labels.buy_label(order, account, "US-PM")  # the client's own retry finds the label
    assert_bought_once(stamps, account, order)


def test_R28_a_crash_after_the_carrier_answered_resumes_without_buying_again(
    stamps, account, make_shippable, monkeypatch
):
    order = make_shippable()
    real_record = labels._record

    def crash(*args):
        raise KeyboardInterrupt("worker killed")

    monkeypatch.setattr(labels, "_record", crash)
    with pytest.raises(KeyboardInterrupt):
        labels.buy_label(order, account, "US-PM")
    assert Shipment.objects.get(order=order).status == Shipment.Status.BUYING
    monkeypatch.setattr(labels, "_record", real_record)
    labels.buy_label(order, account, "US-PM")
    assert_bought_once(stamps, account, order)


def test_a_second_buy_for_a_shipped_order_is_refused(stamps, account, make_shippable):
    order = make_shippable()
    labels.buy_label(order, account, "US-PM")
    with pytest.raises(labels.LabelError, match="already has a label"):
        labels.buy_label(Order.objects.get(pk=order.pk), account, "US-GA")
    assert len(stamps.indicia(account.username)) == 1


def test_R3_an_unverified_account_cannot_buy_labels(stamps, sandbox_account, make_shippable):
    account = sandbox_account(balance="100.00", status=CarrierAccount.Status.AWAITING_VERIFICATION)
    order = make_shippable()
    with pytest.raises(labels.LabelError, match="866-634-4708"):
        labels.buy_label(order, account, "US-PM")
    assert stamps.indicia(account.username) == []
    assert not Shipment.objects.exists()


def test_insufficient_funds_says_so_and_links_to_add_funds(stamps, sandbox_account, make_shippable):
    account = sandbox_account(balance="1.00")
    with pytest.raises(labels.LabelError) as exc:
        labels.buy_label(make_shippable(), account, "US-PM")
    assert exc.value.fix.url == "/funds/"
    assert exc.value.fix.text == "Add funds"
    assert "Add funds" in exc.value.message
    assert stamps.indicia(account.username) == []


def test_a_purchase_refused_for_funds_keeps_its_rate_for_the_retry_once_funds_are_added(
    stamps, sandbox_account, make_shippable
):
    account = sandbox_account(balance="1.00")
    order = make_shippable()
    with pytest.raises(labels.LabelError, match="Add funds"):
        labels.buy_label(order, account, "US-PM")
    assert CarrierCall.objects.filter(operation="GetRates").count() == 1
    purchases.add_funds(account, Decimal("50.00"))
    labels.buy_label(order, account, "US-PM")
    # The merchant waits for the carrier once for the label, not twice.
    assert CarrierCall.objects.filter(operation="GetRates").count() == 1
    assert_bought_once(stamps, account, order)


def test_a_bought_labels_own_rate_is_not_kept_its_order_has_shipped(
    stamps, account, make_shippable
):
    order = make_shippable()
    shipment = labels.buy_label(order, account, "US-PM", timezone.localdate())
    assert CarrierCall.objects.filter(operation="GetRates").count() == 1
    # The query as the purchase asked it: the order's address as checked, its ship date.
    query = rating.query_for_order(Order.objects.get(pk=order.pk), shipment.ship_date)
    # (Rates shown before the Buy button are kept, and reused: test_pages.)
    assert cache.get(query.cache_key(account, "US-PM")) is None
    assert cache.get(query.cache_key(account)) is None


def test_the_carriers_insufficient_funds_answer_fails_the_label_cleanly(
    stamps, sandbox_account, make_shippable
):
    account = sandbox_account(balance="100.00")
    sync_balance(account)  # the book is open: no fresh read before this label
    stamps.get_account(account.username).__class__.objects.filter(username=account.username).update(
        balance=Decimal("2.00")
    )  # ShipDesk's balance is stale
    order = make_shippable()
    with pytest.raises(labels.LabelError, match="Not enough postage"):
        labels.buy_label(order, account, "US-PM")
    assert Shipment.objects.get(order=order).status == Shipment.Status.FAILED
    assert label_debits(account) == []
    assert Order.objects.get(pk=order.pk).status == Order.Status.AWAITING_SHIPMENT


def test_ship_date_must_be_today_or_later(stamps, account, make_shippable):
    with pytest.raises(labels.LabelError, match="today or a later day"):
        labels.buy_label(make_shippable(), account, "US-PM", dt.date(2020, 1, 1))


def test_R18_order_validation_runs_before_the_carrier(stamps, account, make_shippable):
    order = make_shippable(**international(recipient_name="Cher"))
    with pytest.raises(labels.LabelError, match="first and last name"):
        labels.buy_label(order, account, "US-PMI")
    assert stamps.indicia(account.username) == []


def test_R24_international_priority_gets_a_global_advantage_program_label(
    stamps, account, make_shippable, tmp_path
):
    order = make_shippable(**international())
    shipment = labels.buy_label(order, account, "US-PMI")
    assert shipment.label_category == "GlobalAdvantageProgram"
    assert "Global Advantage Program" in pdf_text(printed(shipment))


def test_R25_labels_show_no_postage_and_priority_mail_shows_no_transit_time(
    stamps, account, make_shippable, tmp_path
):
    priority = labels.buy_label(make_shippable(), account, "US-PM")
    text = pdf_text(printed(priority))
    assert "$" not in text and str(priority.amount) not in text
    assert "Expected delivery" not in text
    ground = labels.buy_label(make_shippable(), account, "US-GA")
    text = pdf_text(printed(ground))
    assert "Expected delivery" in text  # other services may show it
    assert "$" not in text and str(ground.amount) not in text


def test_R26_first_class_flats_have_no_tracking_and_no_barcode(
    stamps, account, make_shippable, tmp_path
):
    order = make_shippable(
        service="US-FC", package_type="Large Envelope or Flat", weight_lb=0, confirmation="none"
    )
    shipment = labels.buy_label(order, account, "US-FC")
    assert shipment.tracking_number == ""
    assert tracking_numbers(printed(shipment)) == []


def test_the_label_barcode_decodes_to_the_tracking_number(
    stamps, account, make_shippable, tmp_path
):
    shipment = labels.buy_label(make_shippable(), account, "US-GA")
    assert tracking_numbers(printed(shipment)) == [shipment.tracking_number]
    # Kept in storage for reprints, in the format it was bought in (R39).
    assert [(f.kind, f.image_type) for f in shipment.files.all()] == [("label", "Pdf")]


def test_label_with_packing_slip_and_two_labels_a_letter_page(
    stamps, account, make_shippable, tmp_path
):
    a = labels.buy_label(make_shippable(), account, "US-PM")
    b = labels.buy_label(make_shippable(), account, "US-GA")
    job = printing.print_job([a, b], printing.PrintOptions(layout="letter"), "t")
    data = b"".join(job.chunks)
    assert page_count(data) == 1  # one sheet holds both
    assert sorted(tracking_numbers(data)) == sorted([a.tracking_number, b.tracking_number])
    with_slips = printed(a, slips=True)
    assert "Packing slip" in pdf_text(with_slips) and page_count(with_slips) == 2


def test_R27_R41_void_within_28_days_requests_the_refund_and_reopens_the_order(
    stamps, account, make_shippable
):
    order = make_shippable()
    shipment = labels.buy_label(order, account, "US-PM")
    voided = voids.void_label(shipment)
    assert voided.status == Shipment.Status.VOIDED
    assert Order.objects.get(pk=order.pk).status == Order.Status.AWAITING_SHIPMENT
    # R41: requested, not refunded: neither the carrier's balance nor the ledger has it yet.
    refunds = LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.VOID_REFUND)
    assert not refunds.exists()
    account.refresh_from_db()
    assert account.balance == Decimal("100.00") - shipment.amount
    assert ledger_balance(account) == account.balance == stamps.get_balance(account.username)
    assert voids.refund_of(voided).pending
    assert voids.void_label(voided).status == Shipment.Status.VOIDED  # twice: one request

    assert credit_refunds(stamps) == 1
    assert [r.amount for r in refunds] == [shipment.amount]
    voided.refresh_from_db()
    assert voided.refunded == shipment.amount
    account.refresh_from_db()
    assert account.balance == Decimal("100.00") == stamps.get_balance(account.username)
    assert ledger_balance(account) == Decimal("100.00")
    assert credit_refunds(stamps) == 0 and refunds.count() == 1


def test_R27_the_carrier_refuses_a_void_after_28_days_with_the_reason(
    stamps, account, make_shippable
):
    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    stamps.set_clock(timezone.now() + dt.timedelta(days=29))
    with pytest.raises(labels.LabelError, match="28 days"):
        voids.void_label(shipment)
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.BOUGHT
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.VOID_REFUND).exists()


def test_R27_shipdesk_refuses_a_late_void_before_calling_the_carrier(
    stamps, account, make_shippable
):
    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    Shipment.objects.filter(pk=shipment.pk).update(
        bought_at=timezone.now() - dt.timedelta(days=28, minutes=1)
    )
    shipment.refresh_from_db()
    assert "within 28 days" in voids.void_refused_reason(shipment)
    with pytest.raises(labels.LabelError, match="within 28 days"):
        voids.void_label(shipment)
    assert stamps.indicia(account.username)[0].voided_at is None


def test_R27_batch_void_voids_each_and_reports_refusals(stamps, account, make_shippable):
    good = labels.buy_label(make_shippable(), account, "US-PM")
    late = labels.buy_label(make_shippable(), account, "US-GA")
    Shipment.objects.filter(pk=late.pk).update(bought_at=timezone.now() - dt.timedelta(days=40))
    late.refresh_from_db()
    voided, refused = voids.void_many([good, late])
    assert [s.pk for s in voided] == [good.pk]
    assert [s.pk for s, _ in refused] == [late.pk]


def test_R29_first_class_international_tracking_is_left_out_unless_turned_on(
    merchant, make_shippable, ship_from
):
    order = make_shippable(**international(service="US-FCI"), email="marie@example.test")
    account = CarrierAccount.objects.create(merchant=merchant, nickname="x", username="x")
    shipment = Shipment.objects.create(
        merchant=merchant,
        order=order,
        account=account,
        service="US-FCI",
        service_name="First-Class Mail International",
        package_type="Package",
        ship_date=timezone.localdate(),
        tracking_number="9400111000000000000017",
        status=Shipment.Status.BOUGHT,
        to_country="CA",
    )
    assert "tracking_number" not in notification_payload(shipment)
    prefs = ShippingSettings.get_for(merchant)
    prefs.share_fci_tracking = True
    prefs.save()
    assert notification_payload(shipment)["tracking_number"] == "9400111000000000000017"
    other = copy.copy(shipment)
    other.service = "US-PMI"
    assert "tracking_number" in notification_payload(other, ShippingSettings(merchant=merchant))


def test_R29_the_customer_email_follows_the_setting(stamps, account, make_shippable):
    order = make_shippable(**international(service="US-FCI"), email="marie@example.test")
    order.customs_contents_type = "merchandise"
    order.save()
    labels.buy_label(order, account, "US-FCI")
    assert len(mail.outbox) == 1
    assert "Tracking number" not in mail.outbox[0].body
    domestic = make_shippable(email="jane@example.test")
    shipment = labels.buy_label(domestic, account, "US-PM")
    assert shipment.tracking_number in mail.outbox[1].body


def test_a_purchase_holds_one_call_slot_and_frees_it_before_recording(
    stamps, account, make_shippable, monkeypatch, tmp_path
):
    from carriers.stamps import limits

    events: list[str] = []
    files = limits._FileSlots(tmp_path)

    class Watched:
        def take(self, name, slots):
            events.append("take")
            return files.take(name, slots)

        def release(self, name, slot):
            events.append("release")
            files.release(name, slot)

        def renew(self, name, slot):
            return True

        def is_slow(self, name):
            return False

        def mark_slow(self, name, seconds):
            pass

    monkeypatch.setattr(limits, "backend", lambda: Watched())
    record = labels._record

    def noted_record(*args, **kwargs):
        events.append("record")
        return record(*args, **kwargs)

    monkeypatch.setattr(labels, "_record", noted_record)
    labels.buy_label(make_shippable(), account, "US-PM")
    # GetRates and CreateIndicium share one slot, back before the label is recorded.
    assert events == ["take", "release", "record"]
