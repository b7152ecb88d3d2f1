"""Schedule a pickup: the form says what is wrong before the merchant confirms the day."""

from __future__ import annotations

import pytest

from endofday.models import Pickup
from tests.factories import make_carrier_account
from tests.support import WEEKDAY_MORNING

pytestmark = pytest.mark.django_db

PHONE_ERROR = "Give a 10-digit US phone number the carrier can call."


@pytest.fixture
def ny(place):
    return place("America/New_York", is_default=True, phone="718-555-0100")


@pytest.mark.clock(WEEKDAY_MORNING)
def test_a_bad_contact_phone_is_refused_on_the_first_step_not_after_confirming_the_day(
    merchant, ny, owner_client
):
    """R33 asks the merchant to confirm a moved day first; a phone USPS cannot use must be said
    then, beside the field, not after the confirmation with the button gone."""
    account = make_carrier_account(merchant)
    data = {
        "account": account.pk,
        "location": ny.pk,
        "requested_date": "2026-06-13",  # Saturday, asked on Wednesday: moved to Thursday
        "package_count": 2,
        "total_weight_lb": 3,
        "package_location": "FrontDoor",
        "instructions": "Ring twice",
        "contact_phone": "12",
    }
    response = owner_client.post("/shipments/pickups/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["contact_phone"] == [PHONE_ERROR]
    assert "Confirm pickup for" not in response.text
    assert 'value="Ring twice"' in response.text  # what was typed is kept
    assert not Pickup.objects.exists()


def test_a_phone_written_with_the_country_code_and_punctuation_is_accepted(merchant, ny):
    from endofday.forms import PickupDetailsForm

    form = PickupDetailsForm(
        {
            "package_count": 1,
            "total_weight_lb": 1,
            "package_location": "FrontDoor",
            "contact_phone": "+1 (718) 555-0100",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["contact_phone"] == "+1 (718) 555-0100"
