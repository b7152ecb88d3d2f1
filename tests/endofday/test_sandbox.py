"""SCAN forms and pickups against the Stamps.com sandbox over real HTTP (R30-R33)."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from endofday import pickups, scan_forms, shipping_day
from endofday.models import Pickup, ScanForm, ScanFormLabel
from tests.endofday.conftest import FRI, MON, SAT, THAT_WEEK, THU, utc
from tests.factories import make_member
from tests.support import WEEKDAY_MORNING

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.clock(THAT_WEEK)]


def at(stamps, moment):
    """Freeze ShipDesk's clock and pin the sandbox's to the same moment."""
    stamps.set_clock(moment)
    return time_machine.travel(moment, tick=True)


@pytest.mark.clock(WEEKDAY_MORNING)
def test_a_scan_form_closes_todays_labels_and_its_pdf_is_served(
    stamps, account, place, bought_label, owner_client
):
    ny = place("America/New_York", is_default=True)
    first, second = bought_label(account, ny), bought_label(account, ny)
    response = owner_client.post(
        "/shipments/scan-forms/",
        {"account": account.pk, "location": ny.pk, "scope": "selected", "shipment": [first.pk]},
    )
    form = ScanForm.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/shipments/scan-forms/{form.pk}/"
    )
    assert form.status == ScanForm.Status.CREATED and form.label_count == 1
    [manifest] = stamps.manifests("eod-pro")
    assert manifest.manifest_id == form.manifest_id
    assert [i.shipment_id for i in form.items.all()] == [first.pk]
    assert form.pdf.name.startswith("scan-forms/")

    page = owner_client.get(f"/shipments/scan-forms/{form.pk}/").text
    assert form.manifest_id in page and first.tracking_number in page
    pdf = owner_client.get(f"/shipments/scan-forms/{form.pk}/form.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    # R31: the first label is closed; "all" takes only what is left.
    again = scan_forms.create_scan_form(account, ny)
    assert [i.shipment_id for i in again.items.all()] == [second.pk]
    with pytest.raises(shipping_day.EndOfDayError, match="No labels to close"):
        scan_forms.create_scan_form(account, ny)


@pytest.mark.clock(WEEKDAY_MORNING)
def test_r32_buffer_quota_tells_the_merchant_to_close_it_in_stamps_com(
    stamps, account, place, bought_label, owner_client
):
    ny = place("America/New_York", company="Buffer Quota Supplies", is_default=True)
    shipment = bought_label(account, ny)
    response = owner_client.post(
        "/shipments/scan-forms/", {"account": account.pk, "location": ny.pk, "scope": "all"}
    )
    assert "Close the SCAN form directly in Stamps.com" in response.text
    link = reverse("carriers:open-carrier-page", args=[account.pk, "OnlineReportsPage"])
    assert link in response.text
    form = ScanForm.objects.get()
    assert form.status == ScanForm.Status.FAILED and "buffer quota" in form.failure
    assert not ScanFormLabel.objects.exists()  # released for a later try
    assert list(scan_forms.eligible_labels(account, ny)) == [shipment]
    with pytest.raises(shipping_day.EndOfDayError) as caught:
        scan_forms.create_scan_form(account, ny)
    assert caught.value.fix.url == link
    reports = owner_client.get(link)
    assert reports.status_code == 302 and "/sandbox/stamps/pages/reports/" in reports["Location"]


def test_r30_the_carrier_refuses_at_9pm_where_the_parcels_are(stamps, account, place, bought_label):
    """The location's time zone says 6:30 PM, but its ZIP is in New York where it is 9:30 PM:
    the carrier's refusal reaches the merchant and the labels are released."""
    la_clock_ny_zip = place("America/Los_Angeles", city="Brooklyn", state="NY", postal_code="11201")
    with at(stamps, utc(2026, 11, 5, 20)):
        bought_label(account, la_clock_ny_zip)
    late = at(stamps, utc(2026, 11, 6, 2, 30))
    with late, pytest.raises(shipping_day.EndOfDayError, match="before 9pm local time"):
        scan_forms.create_scan_form(account, la_clock_ny_zip)
    assert not ScanFormLabel.objects.exists()


def test_r31_the_carriers_already_scanned_answer_points_to_the_cut_off(
    stamps, account, place, bought_label
):
    """ShipDesk and the carrier now read the same ZIP clock (R43), so only a carrier whose day
    is already past the labels' date answers "already scanned": the merchant is pointed to the
    cut-off. The carrier's clock is set a day ahead to get that answer."""
    place_ = place("America/New_York")
    with at(stamps, utc(2026, 11, 5, 20)):
        shipment = bought_label(account, place_)
    assert shipment.ship_date == THU
    stamps.set_clock(utc(2026, 11, 7, 0, 30))  # Fri 7:30 PM in New York at the carrier
    shipdesk_thursday = time_machine.travel(utc(2026, 11, 6, 0, 30), tick=True)  # Thu 7:30 PM
    with shipdesk_thursday, pytest.raises(shipping_day.EndOfDayError) as caught:
        scan_forms.create_scan_form(account, place_)
    assert "already been scanned by USPS" in caught.value.message
    assert caught.value.fix.url == "/shipments/end-of-day/"


@pytest.mark.clock("2026-11-05T15:00:00+00:00")  # signed in on the Thursday it travels to
def test_r33_a_pickup_asked_for_saturday_on_thursday_is_booked_for_friday(
    stamps, account, place, bought_label, owner_client
):
    ny = place("America/New_York", is_default=True, phone="718-555-0100")
    with at(stamps, utc(2026, 11, 5, 15)):
        bought_label(account, ny)
        bought_label(account, ny)
        page = owner_client.get("/shipments/pickups/").text
        assert 'name="package_count" value="2"' in page
        data = {
            "account": account.pk,
            "location": ny.pk,
            "requested_date": SAT.isoformat(),
            "package_count": 2,
            "total_weight_lb": 3,
            "package_location": "FrontDoor",
            "instructions": "Ring twice",
            "contact_phone": "(718) 555-0100",
        }
        review = owner_client.post("/shipments/pickups/", data)
        assert "scheduled for Friday, November 6" in review.text
        assert "Confirm pickup for Friday, November 6" in review.text
        assert not Pickup.objects.exists() and not stamps.pickups("eod-pro")
        done = owner_client.post("/shipments/pickups/", {**data, "confirm": "1"})
    pickup = Pickup.objects.get()
    assert done["Location"] == f"/shipments/pickups/{pickup.pk}/"
    assert (pickup.requested_date, pickup.pickup_date) == (SAT, FRI)
    [booked] = stamps.pickups("eod-pro")
    assert booked.pickup_date == FRI and pickup.confirmation_number == booked.confirmation_number
    assert booked.packages["NumberOfPriorityMailPieces"] == 2

    with at(stamps, utc(2026, 11, 5, 23)):
        pickups.modify_pickup(
            pickup,
            package_count=3,
            total_weight_lb=5,
            package_location="MailRoom",
            contact_phone="7185550100",
        )
        assert stamps.pickups("eod-pro")[0].status == "Modified"
        pickups.cancel_pickup(pickup)
    assert stamps.pickups("eod-pro")[0].status == "Cancelled"
    pickup.refresh_from_db()
    assert (pickup.status, pickup.package_count) == (Pickup.Status.CANCELLED, 3)


def test_r33_a_pickup_asked_for_on_saturday_comes_on_monday(stamps, account, place):
    chicago = place("America/Chicago", phone="3125550100")
    with at(stamps, utc(2026, 11, 7, 16)):
        pickup = pickups.schedule_pickup(
            account,
            chicago,
            requested_date=SAT,
            package_count=1,
            total_weight_lb=1,
            package_location="Office",
            contact_phone="312-555-0100",
        )
    assert pickup.pickup_date == MON and pickup.status == Pickup.Status.SCHEDULED
    assert stamps.pickups("eod-pro")[0].pickup_date == MON


@pytest.mark.clock("2026-11-05T15:00:00+00:00")
def test_a_pickup_page_says_who_scheduled_changed_and_cancelled_it(
    stamps, account, place, bought_label, owner_client, merchant
):
    ny = place("America/New_York", is_default=True, phone="718-555-0100")
    shipper = Client()
    shipper.force_login(make_member(merchant, "dock@acme.test", role="shipper"))
    data = {
        "account": account.pk,
        "location": ny.pk,
        "requested_date": FRI.isoformat(),
        "package_count": 2,
        "total_weight_lb": 3,
        "package_location": "FrontDoor",
        "contact_phone": "(718) 555-0100",
        "confirm": "1",
    }
    with at(stamps, utc(2026, 11, 5, 15)):
        bought_label(account, ny)
        owner_client.post("/shipments/pickups/", data)
        pickup = Pickup.objects.get()
        shipper.post(
            f"/shipments/pickups/{pickup.pk}/",
            {**data, "package_count": 3, "package_location": "MailRoom"},
        )
        shipper.post(f"/shipments/pickups/{pickup.pk}/cancel/")
        page = owner_client.get(f"/shipments/pickups/{pickup.pk}/").text
    assert 'Scheduled by</dt><dd data-testid="pickup-by">owner@acme.test</dd>' in page
    assert "Changed by dock@acme.test on Nov 5, 10:00 AM EST" in page
    assert "Cancelled by dock@acme.test on Nov 5, 10:00 AM EST" in page
