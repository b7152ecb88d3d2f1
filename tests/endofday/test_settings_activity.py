"""End-of-day settings in the store's activity log: which location's shipping day changed,
who changed it and to what, and nothing for a save that changed nothing or was refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from locations.models import EndOfDaySettings
from tests.support import activity_table, store_log

pytestmark = pytest.mark.django_db


def _post(client, location, **fields):
    prefixed = {f"loc{location.pk}-{name}": value for name, value in fields.items()}
    url = reverse("endofday:location-settings", args=[location.pk])
    return client.post(url, prefixed)


def test_a_new_cut_off_and_the_automatic_scan_form_are_logged_under_the_location(
    store_admin_client, owner_client, merchant, place
):
    dock = place("America/Chicago")
    response = _post(
        store_admin_client,
        dock,
        cutoff_time="15:30",
        auto_scan_form="on",
        pickup_location="FrontDoor",
    )
    assert response.status_code == 302
    assert store_log(merchant) == [
        (
            "ops@acme.test",
            "end_of_day",
            "Dock Chicago",
            "shipping cut-off: 3:30 PM, create the SCAN form automatically at the cut-off on",
        )
    ]
    table = activity_table(owner_client)
    assert "Changed a location&#x27;s end-of-day settings" in table
    assert "Dock Chicago" in table and "shipping cut-off: 3:30 PM" in table


def test_pickup_instructions_are_named_never_quoted(store_admin_client, merchant, place):
    dock = place()
    _post(
        store_admin_client,
        dock,
        cutoff_time="17:00",
        pickup_location="SideDoor",
        pickup_instructions="Gate code 4411",
    )
    [(_, _, _, detail)] = store_log(merchant)
    assert "where packages wait for pickup: Side door" in detail
    assert "pickup instructions" in detail and "4411" not in detail


def test_saving_unchanged_or_refused_settings_logs_nothing(store_admin_client, merchant, place):
    dock = place()
    defaults = {"cutoff_time": "17:00", "pickup_location": "FrontDoor"}
    assert _post(store_admin_client, dock, **defaults).status_code == 302
    assert EndOfDaySettings.objects.filter(location=dock).exists()
    assert _post(store_admin_client, dock, **defaults).status_code == 302
    # R30: an automatic SCAN form needs a cut-off before 9 PM.
    refused = {**defaults, "cutoff_time": "21:30", "auto_scan_form": "on"}
    assert _post(store_admin_client, dock, **refused).status_code == 200
    assert EndOfDaySettings.objects.get(location=dock).auto_scan_form is False
    assert store_log(merchant) == []
