"""A label followed along the sandbox's timeline: status, events once, e-mails once, back-off
and the end of polling."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carriers.stamps.sandbox import rates as sandbox_rates
from orders import addresses
from shipments import labels, voids
from shipments.models import Shipment
from tests.tracking.factories import make_parcel
from tracking import polling
from tracking.models import CustomerEmail, Parcel, TrackingEvent

pytestmark = pytest.mark.django_db(transaction=True)

DAYS = int(sandbox_rates.DELIVER_DAYS["US-PM"].split("-")[-1])


def delivery_status(shipment) -> str:
    return Shipment.objects.values_list("delivery_status", flat=True).get(pk=shipment.pk)


def subjects() -> list[str]:
    return [str(m.subject) for m in mail.outbox]


def test_a_label_moves_along_its_timeline_with_one_email_per_step(clock, account, make_shippable):
    order = make_shippable(email="jane@example.test")
    n = order.number
    shipment = labels.buy_label(order, account, "US-PM")
    parcel = Parcel.objects.get(shipment=shipment)
    assert delivery_status(shipment) == "pre_transit"
    assert subjects() == [f"Your order {n} has shipped"]
    assert f"/t/{parcel.token}/" in mail.outbox[0].body

    clock.advance(minutes=5)
    polling.poll_due()
    assert [e.event_type for e in parcel.events.all()] == ["ShippingLabelCreated"]

    clock.advance(hours=15)
    polling.poll_due()
    assert delivery_status(shipment) == "in_transit"
    assert parcel.events.count() == 3  # label created, accepted, arrived at the facility

    clock.advance(days=DAYS - 1, hours=3)  # out for delivery comes DAYS days less 6 hours in
    polling.poll_due()
    assert delivery_status(shipment) == "out_for_delivery"
    assert subjects()[-1] == f"Your order {n} is out for delivery"
    count = parcel.events.count()

    clock.advance(minutes=31)  # polled again with nothing new: nothing stored, no e-mail
    polling.poll_due()
    assert parcel.events.count() == count and len(mail.outbox) == 2

    clock.advance(hours=7)
    result = polling.poll_due()
    assert result["moved"] == 1
    assert delivery_status(shipment) == "delivered"
    assert subjects() == [
        f"Your order {n} has shipped",
        f"Your order {n} is out for delivery",
        f"Your order {n} was delivered",
    ]
    parcel.refresh_from_db()
    assert parcel.next_check_at is None and parcel.stopped == "delivered"

    clock.advance(days=2)  # the poller leaves a delivered parcel alone
    assert polling.poll_due() == {"polled": 0, "moved": 0, "failed": 0}
    # Each e-mail once, even if asked again.
    from tracking.notifications import send_customer_email

    assert not send_customer_email(shipment.pk, CustomerEmail.Kind.DELIVERED)
    assert len(mail.outbox) == 3


def test_events_are_stored_once_however_often_they_are_read(clock, account, make_shippable):
    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    clock.advance(hours=20)
    parcel = Parcel.objects.select_related("shipment", "shipment__account").get(shipment=shipment)
    polling.poll_parcels([parcel])
    polling.poll_parcels([parcel])
    first = parcel.events.count()
    assert first == 3  # created, accepted, arrived at the regional facility
    assert TrackingEvent.objects.filter(parcel=parcel).values("key").distinct().count() == first


def test_an_undeliverable_parcel_shows_a_problem_then_comes_back(
    clock, account, make_shippable, owner_client
):
    order = make_shippable(street1="1 Undeliverable Way")
    # The carrier cannot verify that street: the merchant ships it as entered (R37b).
    addresses.check_ship_to(order, account)
    addresses.use_as_entered(order)
    shipment = labels.buy_label(order, account, "US-PM")
    clock.advance(days=DAYS, hours=1)
    polling.poll_due()
    assert delivery_status(shipment) == "exception"
    page = owner_client.get("/shipments/?delivery=exception").text
    assert order.number in page and "Delivery problem" in page
    clock.advance(days=2)
    polling.poll_due()
    assert delivery_status(shipment) == "returned"
    assert Parcel.objects.get(shipment=shipment).stopped == "returned"


def test_polling_backs_off_with_age_and_stops_at_60_days(clock, account, make_shippable):
    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    parcel = Parcel.objects.get(shipment=shipment)
    now = clock.advance(minutes=1)
    polling.poll_due()
    parcel.refresh_from_db()
    assert parcel.next_check_at == now + dt.timedelta(hours=1)
    assert polling.check_interval(dt.timedelta(days=3), "in_transit") == dt.timedelta(hours=3)
    assert polling.check_interval(dt.timedelta(days=10), "in_transit") > dt.timedelta(hours=3)
    # Out of the sandbox's timeline: a parcel never delivered is given up after 60 days.
    Shipment.objects.filter(pk=shipment.pk).update(bought_at=timezone.now() - dt.timedelta(days=61))
    Parcel.objects.filter(pk=parcel.pk).update(next_check_at=timezone.now())
    polling.poll_due()
    parcel.refresh_from_db()
    assert parcel.stopped == "too_old" and parcel.next_check_at is None


def test_a_voided_label_is_no_longer_tracked(clock, account, make_shippable):
    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    voids.void_label(Shipment.objects.select_related("account").get(pk=shipment.pk))
    parcel = Parcel.objects.get(shipment=shipment)
    assert parcel.stopped == "voided" and parcel.next_check_at is None


def test_a_label_bought_before_tracking_is_adopted_by_the_poller(clock, account, make_shippable):
    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    Parcel.objects.all().delete()
    clock.advance(hours=10)
    polling.poll_due()
    assert Parcel.objects.get(shipment=shipment).events.count() == 2
    assert delivery_status(shipment) == "in_transit"


@pytest.mark.django_db
def test_the_list_filters_labels_not_moving_for_three_days(merchant, owner_client):
    now = timezone.now()
    make_parcel(
        merchant,
        "STUCK-1",
        delivery_status="in_transit",
        last_scan_at=now - dt.timedelta(days=4),
    )
    make_parcel(
        merchant, "MOVING-1", delivery_status="in_transit", last_scan_at=now - dt.timedelta(days=1)
    )
    make_parcel(
        merchant, "DONE-1", delivery_status="delivered", last_scan_at=now - dt.timedelta(days=5)
    )
    make_parcel(
        merchant,
        "NEVER-1",
        delivery_status="pre_transit",
        bought_at=now - dt.timedelta(days=3, hours=1),
    )
    page = owner_client.get("/shipments/?delivery=stalled").text
    # The label rows only (the page also names every location in its SCAN-form countdown).
    rows = page[page.index("<tbody>") : page.index("</tbody>")]
    assert "STUCK-1" in rows and "NEVER-1" in rows
    assert "MOVING-1" not in rows and "DONE-1" not in rows


@pytest.mark.django_db
def test_list_and_order_page_queries_do_not_grow_with_rows(merchant, owner_client):
    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert owner_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    first = make_parcel(merchant, "Q-1", delivery_status="in_transit")
    TrackingEvent.objects.create(
        parcel=first, key="a", occurred_at=timezone.now(), status="in_transit", description="x"
    )
    panel = f"/orders/{first.shipment.order_id}/tracking/"
    few_list, few_panel = count("/shipments/"), count(panel)
    for i in range(2, 8):
        p = make_parcel(merchant, f"Q-{i}", delivery_status="in_transit")
        for k in range(3):
            TrackingEvent.objects.create(
                parcel=p if k else first,
                key=f"{i}-{k}",
                occurred_at=timezone.now(),
                status="in_transit",
                description=f"scan {k}",
            )
    assert count("/shipments/") == few_list
    assert count(panel) == few_panel
