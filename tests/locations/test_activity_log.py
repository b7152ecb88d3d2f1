"""Ship-from locations in the store's activity log: who added, changed, deleted one or moved
the default, and which fields changed (never a save that changed nothing, nor a refused one)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from locations.models import ShipFromLocation
from tests.factories import make_carrier_account, make_ship_from
from tests.support import activity_table, store_log

pytestmark = pytest.mark.django_db

BROOKLYN = {
    "name": "Brooklyn studio",
    "contact_name": "Pat Shipper",
    "company": "Acme Outfitters",
    "street1": "100 Main St",
    "street2": "",
    "city": "Brooklyn",
    "state": "NY",
    "postal_code": "11201",
    "phone": "+17185550100",
}


def test_adding_a_location_is_logged_with_who_and_where(store_admin_client, owner_client, merchant):
    store_admin_client.post(reverse("locations:new"), BROOKLYN)
    assert store_log(merchant) == [
        ("ops@acme.test", "location_added", "Brooklyn studio", "Brooklyn, NY 11201, the default")
    ]
    table = activity_table(owner_client)
    assert "Added a ship-from location: Brooklyn studio" in table
    assert "ops@acme.test" in table


def test_editing_a_location_names_the_fields_that_changed_and_the_former_name(
    store_admin_client, owner_client, merchant
):
    location = make_ship_from(merchant, **{**BROOKLYN, "name": "Main warehouse"})
    store_admin_client.post(
        reverse("locations:edit", args=[location.pk]),
        {**BROOKLYN, "street1": "200 Water St", "phone": "+17185550199"},
    )
    assert store_log(merchant) == [
        (
            "ops@acme.test",
            "location_changed",
            "Brooklyn studio",
            "location name (was “Main warehouse”), address 1, phone",
        )
    ]
    table = activity_table(owner_client)
    assert "Changed a ship-from location: Brooklyn studio" in table
    assert "address 1, phone" in table


def test_saving_a_location_unchanged_or_refused_logs_nothing(store_admin_client, merchant):
    location = make_ship_from(merchant, **BROOKLYN)
    # Typed differently, stored the same: the state's name and a ZIP code with spaces.
    same = {**BROOKLYN, "state": "New York", "postal_code": " 11201 "}
    assert (
        store_admin_client.post(reverse("locations:edit", args=[location.pk]), same).status_code
        == 302
    )
    refused = {**BROOKLYN, "postal_code": "ABC"}
    response = store_admin_client.post(reverse("locations:edit", args=[location.pk]), refused)
    assert response.status_code == 200 and "5-digit ZIP" in response.text
    response = store_admin_client.post(
        reverse("locations:new"), {**BROOKLYN, "contact_name": "Pat"}
    )
    assert "first and last name" in response.text
    assert store_log(merchant) == []


def test_moving_the_default_names_the_new_default_and_the_former_one(
    store_admin_client, owner_client, merchant
):
    make_ship_from(merchant, name="Main warehouse")
    annex = make_ship_from(merchant, name="Annex", is_default=False)
    store_admin_client.post(reverse("locations:make-default", args=[annex.pk]))
    store_admin_client.post(
        reverse("locations:make-default", args=[annex.pk])
    )  # already the default
    assert store_log(merchant) == [
        ("ops@acme.test", "location_default", "Annex", "was “Main warehouse”")
    ]
    assert "Made a ship-from location the default: Annex" in activity_table(owner_client)


def test_deleting_a_location_is_logged_but_a_refused_deletion_is_not(
    store_admin_client, owner_client, merchant
):
    default = make_ship_from(merchant, name="Main warehouse")
    annex = make_ship_from(merchant, name="Annex", is_default=False, city="Queens")
    store_admin_client.post(reverse("locations:delete", args=[default.pk]))  # the default: refused
    store_admin_client.post(reverse("locations:delete", args=[annex.pk]))
    assert list(ShipFromLocation.objects.all()) == [default]
    assert store_log(merchant) == [
        ("ops@acme.test", "location_deleted", "Annex", "Queens, NY 11201")
    ]
    assert "Deleted a ship-from location: Annex" in activity_table(owner_client)


def test_a_location_kept_for_its_scan_forms_records_no_deletion(store_admin_client, merchant):
    from endofday.models import ScanForm

    make_ship_from(merchant, name="Main warehouse")
    annex = make_ship_from(merchant, name="Annex", is_default=False)
    ScanForm.objects.create(
        merchant=merchant,
        account=make_carrier_account(merchant),
        location=annex,
        ship_date=dt.date(2026, 6, 10),
    )
    response = store_admin_client.post(reverse("locations:delete", args=[annex.pk]), follow=True)
    assert "kept for their records" in response.text
    assert ShipFromLocation.objects.filter(pk=annex.pk).exists()
    assert store_log(merchant) == []
