"""R43 through Settings > Ship-from locations: the location's zone is its ZIP code's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from locations.models import ShipFromLocation

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
