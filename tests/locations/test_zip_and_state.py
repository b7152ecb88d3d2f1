"""Settings > Ship-from locations: the ZIP code and the state must agree, since the ZIP sets the
location's time zone (R43) and is printed as the label's return address."""

from __future__ import annotations

import pytest
from django.urls import reverse

from locations.models import ShipFromLocation

pytestmark = pytest.mark.django_db

OAKLAND = {
    "name": "Warehouse",
    "contact_name": "Dana Reyes",
    "street1": "1200 Harbor Blvd",
    "city": "Oakland",
    "state": "CA",
    "postal_code": "94607",
    "phone": "510-555-0100",
}


def test_a_zip_code_in_another_state_is_refused_and_the_form_keeps_what_was_typed(
    owner_client, merchant
):
    response = owner_client.post(reverse("locations:new"), {**OAKLAND, "postal_code": "10001"})
    assert response.status_code == 200
    assert "ZIP code 10001 is in New York, not California" in response.text
    assert 'value="1200 Harbor Blvd"' in response.text
    assert not ShipFromLocation.objects.exists()


def test_a_zip_code_in_the_chosen_state_is_saved_with_its_zone(owner_client, merchant):
    response = owner_client.post(reverse("locations:new"), OAKLAND)
    assert response.status_code == 302
    assert ShipFromLocation.objects.get(merchant=merchant).time_zone == "America/Los_Angeles"


def test_a_zip_plus_four_is_judged_by_its_first_five_digits(owner_client, merchant):
    response = owner_client.post(reverse("locations:new"), {**OAKLAND, "postal_code": "94607-1234"})
    assert response.status_code == 302
