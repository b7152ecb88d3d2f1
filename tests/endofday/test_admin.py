"""SCAN forms and pickups in the Django admin: what the carrier issued, never edited by hand."""

from __future__ import annotations

import pytest

from endofday.models import Pickup, ScanForm, ScanFormLabel
from locations.models import EndOfDaySettings
from tests.endofday.factories import make_pickup, make_scan_form
from tests.factories import admin_url, make_ship_from
from tests.shipments.factories import make_shipment

pytestmark = pytest.mark.django_db


def test_R31_an_admin_cannot_put_another_stores_label_on_a_scan_form(
    admin_client, merchant, outsider_merchant
):
    form = make_scan_form(merchant)
    foreign = make_shipment(outsider_merchant, "B-1", tracking_number="9400100000000000009999")
    change = admin_url(ScanForm, "change", form.pk)
    assert "_save" not in admin_client.get(change).text
    item = form.items.get()
    response = admin_client.post(
        change,
        {
            "status": "failed",
            "items-TOTAL_FORMS": "2",
            "items-INITIAL_FORMS": "1",
            "items-0-id": item.pk,
            "items-0-scan_form": form.pk,
            "items-0-shipment": item.shipment_id,
            "items-1-scan_form": form.pk,
            "items-1-shipment": foreign.pk,
        },
    )
    assert response.status_code == 403
    assert admin_client.get(admin_url(ScanForm, "add")).status_code == 403
    response = admin_client.post(admin_url(ScanForm, "delete", form.pk), {"post": "yes"})
    assert response.status_code == 403
    assert not ScanFormLabel.objects.filter(shipment=foreign).exists()
    form.refresh_from_db()
    assert form.status == ScanForm.Status.CREATED


def test_an_admin_cannot_make_up_or_change_a_pickup_the_carrier_scheduled(admin_client, merchant):
    pickup = make_pickup(merchant)
    change = admin_url(Pickup, "change", pickup.pk)
    assert "_save" not in admin_client.get(change).text
    assert admin_client.post(change, {"status": "cancelled"}).status_code == 403
    assert admin_client.get(admin_url(Pickup, "add")).status_code == 403
    response = admin_client.post(admin_url(Pickup, "delete", pickup.pk), {"post": "yes"})
    assert response.status_code == 403
    pickup.refresh_from_db()
    assert pickup.status == Pickup.Status.SCHEDULED


def test_a_locations_end_of_day_settings_stay_with_that_location(
    admin_client, merchant, outsider_merchant
):
    # Tied to another store's location, this store's cut-off and automatic SCAN form would
    # run on that store's labels.
    location = make_ship_from(merchant, name="Dock 9", is_default=False)
    settings = EndOfDaySettings.objects.create(merchant=merchant, location=location)
    make_ship_from(outsider_merchant, name="Bramble dock", is_default=False)
    response = admin_client.get(admin_url(EndOfDaySettings, "change", settings.pk))
    assert "location" not in response.context["adminform"].form.fields
    assert "Dock 9" in response.text
    # Settings are made with their location on the store's settings page.
    assert admin_client.get(admin_url(EndOfDaySettings, "add")).status_code == 403
