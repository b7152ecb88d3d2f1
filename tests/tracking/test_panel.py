"""The merchant's tracking panel (order and label pages) after the label: what it says of a
voided label and its refund (R41), and in which time its scans are read."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from funding.models import Refund
from shipments.models import Shipment
from tests.tracking.factories import make_endpoint, make_parcel
from tracking.models import Parcel, TrackingEvent, WebhookDelivery

pytestmark = pytest.mark.django_db

INSTANT = "2026-06-10T14:00:00+00:00"  # 10:00 AM in New York (EDT), 4:00 AM in Honolulu


def voided_parcel(merchant) -> Parcel:
    parcel = make_parcel(
        merchant,
        "VOID-1",
        status=Shipment.Status.VOIDED,
        voided_at=timezone.now(),
        delivery_status="pre_transit",
    )
    parcel.stopped = Parcel.Stop.VOIDED
    parcel.save(update_fields=["stopped"])
    return parcel


def refund_for(parcel: Parcel, **fields) -> Refund:
    shipment = parcel.shipment
    return Refund.objects.create(
        merchant=shipment.merchant,
        account=shipment.account,
        reference=shipment.integrator_tx_id,
        stamps_tx_id=shipment.stamps_tx_id,
        tracking_number=shipment.tracking_number,
        amount=shipment.amount,
        printed_on=shipment.ship_date,
        **fields,
    )


def panel(client, parcel: Parcel) -> str:
    return client.get(f"/shipments/{parcel.shipment_id}/tracking/").text


@pytest.mark.clock(INSTANT)
def test_R41_a_voided_labels_panel_says_voided_and_that_its_refund_is_awaited(
    merchant, owner_client
):
    parcel = voided_parcel(merchant)
    refund_for(parcel, expected_by=timezone.now() + dt.timedelta(days=21))
    for url in (
        f"/shipments/{parcel.shipment_id}/tracking/",
        f"/orders/{parcel.shipment.order_id}/tracking/",
    ):
        text = owner_client.get(url).text
        assert "Label voided" in text
        assert "not yet scanned" not in text
        assert "refund of $9.40 requested, expected by Jul 1, 2026" in text


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"status": "refunded", "approved": Decimal("9.40")}, "refunded $9.40"),
        ({"status": "denied"}, "refund denied by USPS"),
    ],
)
def test_R41_a_voided_labels_panel_says_where_its_refund_ended(
    merchant, owner_client, fields, says
):
    parcel = voided_parcel(merchant)
    refund_for(parcel, **fields)
    text = panel(owner_client, parcel)
    assert "Label voided" in text and says in text
    assert "not yet scanned" not in text and "requested" not in text


@pytest.mark.clock(INSTANT)
def test_the_panels_scan_and_check_times_are_the_stores_with_its_zone_named(merchant, owner_client):
    merchant.time_zone = "Pacific/Honolulu"
    merchant.save(update_fields=["time_zone"])
    parcel = make_parcel(merchant, "TZ-1", delivery_status="in_transit")
    parcel.status = "in_transit"
    parcel.last_checked_at = timezone.now()
    parcel.save(update_fields=["status", "last_checked_at"])
    TrackingEvent.objects.create(
        parcel=parcel,
        key="accepted",
        occurred_at=timezone.now(),
        status="in_transit",
        description="Accepted at USPS Origin Facility",
    )
    text = panel(owner_client, parcel)
    assert "Jun 10, 4:00 AM HST" in text  # the scan
    assert "checked Jun 10, 4:00 AM HST" in text
    assert "14:00" not in text and "UTC" not in text


@pytest.mark.clock(INSTANT)
def test_the_labels_last_scan_and_print_times_name_the_stores_zone(merchant, owner_client):
    merchant.time_zone = "Pacific/Honolulu"
    merchant.save(update_fields=["time_zone"])
    parcel = make_parcel(
        merchant,
        "TZ-2",
        delivery_status="in_transit",
        last_scan_at=timezone.now(),
        printed_at=timezone.now(),
    )
    listed = owner_client.get("/shipments/").text
    label = owner_client.get(f"/shipments/{parcel.shipment_id}/").text
    queue = owner_client.get("/shipments/print-queue/").text
    assert "Jun 10, 4:00 AM HST" in listed  # the last scan
    assert "Printed Jun 10, 4:00 AM HST." in label
    assert "Jun 10, 4:00 AM HST" in queue  # printed lately
    for page in (listed, label, queue):
        assert "Jun 10, 14:00" not in page and "Jun 10, 04:00" not in page


@pytest.mark.clock(INSTANT)
def test_webhook_and_team_times_name_the_stores_zone(merchant, owner_client):
    merchant.time_zone = "Pacific/Honolulu"
    merchant.save(update_fields=["time_zone"])
    endpoint = make_endpoint(merchant, failing_since=timezone.now())
    WebhookDelivery.objects.create(
        merchant=merchant, endpoint=endpoint, event="label.bought", payload={"x": 1}
    )
    owner_client.post("/settings/members/", {"email": "new@acme.test", "role": "shipper"})
    pages = {
        "endpoints": owner_client.get("/settings/webhooks/").text,
        "endpoint": owner_client.get(f"/settings/webhooks/{endpoint.pk}/").text,
        "members": owner_client.get("/settings/members/").text,
    }
    assert "Failing since Jun 10, 4:00 AM HST" in pages["endpoints"]
    assert "failing since Jun 10, 4:00 AM HST" in pages["endpoint"]
    assert "Jun 10, 4:00:00 AM HST" in pages["endpoint"]  # the delivery
    assert "sent Jun 10, 4:00 AM HST" in pages["members"]  # the invitation
    assert "Jun 10, 2026 4:00 AM HST" in pages["members"]  # the activity log
    for page in pages.values():
        assert "Jun 10, 04:00" not in page and "Jun 10, 14:00" not in page


def test_R34_a_parcel_with_a_delivery_problem_says_lost_parcels_are_claimed_from_usps(
    merchant, owner_client
):
    parcel = make_parcel(merchant, "LOST-1", delivery_status="exception")
    parcel.status = "exception"
    parcel.save(update_fields=["status"])
    text = panel(owner_client, parcel)
    assert "Delivery problem" in text
    assert "If the parcel is lost, file a claim with USPS" in text


@pytest.mark.clock(INSTANT)
def test_R34_a_delivered_priority_mail_express_parcel_says_how_to_ask_for_a_late_refund(
    merchant, owner_client
):
    parcel = make_parcel(merchant, "XM-1", service="US-XM", service_name="Priority Mail Express")
    parcel.status = "delivered"
    parcel.save(update_fields=["status"])
    text = panel(owner_client, parcel)
    assert "shippersupport@stamps.com" in text
    assert parcel.shipment.tracking_number in text and "created Jun 10, 2026" in text
    other = make_parcel(merchant, "PM-1")
    other.status = "delivered"
    other.save(update_fields=["status"])
    assert "shippersupport@stamps.com" not in panel(owner_client, other)


def test_the_shipments_list_does_not_call_a_voided_label_not_yet_scanned(merchant, owner_client):
    voided_parcel(merchant)
    listed = owner_client.get("/shipments/").text
    delivery = re.search(r'data-testid="delivery">(.*?)</td>', listed, re.S)
    assert delivery is not None and "not yet scanned" not in delivery.group(1)
    assert "Voided" in listed  # the status column says it


def test_a_label_being_voided_says_so_in_its_panel(merchant, owner_client):
    parcel = make_parcel(merchant, "VOIDING-1", status=Shipment.Status.VOIDING)
    text = panel(owner_client, parcel)
    assert "Being voided" in text and "not yet scanned" not in text


def test_the_return_label_form_names_services_as_every_other_page_does(merchant, owner_client):
    parcel = make_parcel(merchant, "RET-1", service="US-GA", service_name="USPS Ground Advantage")
    form = owner_client.get(f"/shipments/{parcel.shipment_id}/return/").text
    names = re.findall(r'<option value="US-[A-Z]+"[^>]*>([^<]*)</option>', form)
    assert names == ["USPS Ground Advantage", "Priority Mail", "Priority Mail Express"]
