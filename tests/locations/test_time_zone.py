"""R43 through Settings > Ship-from locations: the location's zone is its ZIP code's."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from locations.models import ShipFromLocation
from tests.factories import make_ship_from

pytestmark = pytest.mark.django_db

LOCATION = {
    "name": "Warehouse",
    "contact_name": "Pat Shipper",
    "street1": "100 Main St",
    "phone": "+17185550100",
}

SPLIT_STATES = [
    ("Knoxville", "TN", "37902", "America/New_York"),
    ("Chattanooga", "TN", "37402", "America/New_York"),
    ("El Paso", "TX", "79901", "America/Denver"),
    ("Pensacola", "FL", "32501", "America/Chicago"),
    ("Gary", "IN", "46402", "America/Chicago"),
    ("Paducah", "KY", "42001", "America/Chicago"),
    ("Rapid City", "SD", "57701", "America/Denver"),
    ("Coeur d'Alene", "ID", "83814", "America/Los_Angeles"),
    ("Ontario", "OR", "97914", "America/Boise"),
    ("Window Rock", "AZ", "86515", "America/Denver"),
    ("Iron Mountain", "MI", "49801", "America/Menominee"),
]


@pytest.mark.parametrize(
    ("city", "state", "zip_code", "zone"), SPLIT_STATES, ids=[row[0] for row in SPLIT_STATES]
)
def test_R43_a_location_in_a_split_state_takes_its_zips_zone(
    owner_client, merchant, city, state, zip_code, zone
):
    fields = {**LOCATION, "city": city, "state": state, "postal_code": zip_code}
    response = owner_client.post(reverse("locations:new"), fields)
    assert response.status_code == 302
    location = ShipFromLocation.objects.get(merchant=merchant)
    assert location.time_zone == zone
    assert str(location.zone) == zone
    page = owner_client.get(reverse("locations:edit", args=[location.pk])).text
    assert f"Time zone: {zone} (from ZIP code {zip_code})" in page


@pytest.mark.parametrize("zip_code", ["11²01", "１１２０１", "٣٧٩٠٢", "1120¹"])
def test_a_zip_code_of_other_digits_than_0_to_9_is_explained_and_nothing_saved(
    owner_client, merchant, zip_code
):
    """'11²01' passed str.isdigit() and then failed int() placing its zone: a server error;
    full-width digits were saved as a ZIP code Stamps.com cannot read."""
    fields = {**LOCATION, "city": "Brooklyn", "state": "NY", "postal_code": zip_code}
    response = owner_client.post(reverse("locations:new"), fields)
    assert response.status_code == 200
    assert "Enter a 5-digit ZIP code, like 97209." in response.text
    assert f'value="{zip_code}"' in response.text  # what was typed stays, to be fixed
    assert not ShipFromLocation.objects.filter(merchant=merchant).exists()


def run_the_zone_migration() -> None:
    migration = importlib.import_module("orders.migrations.0011_location_zone_from_each_zip")
    migration.zone_from_each_zip(apps, None)


def stored(location: ShipFromLocation, time_zone: str) -> ShipFromLocation:
    # As a database row would hold it; save() would derive the zone again.
    ShipFromLocation.objects.filter(pk=location.pk).update(time_zone=time_zone)
    return location


def test_R43_the_migration_moves_locations_the_old_state_table_placed(merchant):
    knoxville = stored(
        make_ship_from(merchant, city="Knoxville", state="TN", postal_code="37902"),
        "America/Chicago",  # Tennessee's, from the old table
    )
    el_paso = stored(
        make_ship_from(
            merchant, name="El Paso", city="El Paso", state="TX", postal_code="79901",
            is_default=False,
        ),
        "America/Chicago",
    )  # fmt: skip
    run_the_zone_migration()
    knoxville.refresh_from_db()
    el_paso.refresh_from_db()
    assert (knoxville.time_zone, el_paso.time_zone) == ("America/New_York", "America/Denver")


def test_R43_the_migration_keeps_a_zone_the_old_table_did_not_give(merchant):
    # A zone the old table never answered for the address can only have been chosen (before
    # zones followed the ZIP code): it is not the migration's to change.
    chosen = stored(
        make_ship_from(merchant, city="Knoxville", state="TN", postal_code="37902"),
        "America/Denver",
    )
    abroad = stored(
        make_ship_from(
            merchant, name="Toronto", city="Toronto", state="ON", postal_code="M5V 2T6",
            country="CA", is_default=False,
        ),
        "America/Toronto",
    )  # fmt: skip
    run_the_zone_migration()
    chosen.refresh_from_db()
    abroad.refresh_from_db()
    assert (chosen.time_zone, abroad.time_zone) == ("America/Denver", "America/Toronto")
