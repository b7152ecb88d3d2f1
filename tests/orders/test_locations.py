"""Settings > Ship-from locations, and the Settings hub."""

from __future__ import annotations

import pytest
from django.urls import reverse

from locations.models import ShipFromLocation
from tests.factories import make_member, make_ship_from

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "Brooklyn studio",
    "contact_name": "Pat Shipper",
    "company": "Acme Outfitters",
    "street1": "100 Main St",
    "city": "Brooklyn",
    "state": "NY",
    "postal_code": "11201",
    "phone": "+17185550100",
    "time_zone": "America/New_York",
}


def test_the_first_location_becomes_the_default(owner_client, merchant):
    response = owner_client.post(reverse("locations:new"), GOOD, follow=True)
    assert "Saved “Brooklyn studio”" in response.text
    location = ShipFromLocation.objects.get(merchant=merchant)
    assert location.is_default


def test_r18_contact_needs_first_and_last_name_and_the_form_keeps_what_was_typed(
    owner_client, merchant
):
    response = owner_client.post(reverse("locations:new"), {**GOOD, "contact_name": "Pat"})
    assert "first and last name" in response.text
    assert 'value="100 Main St"' in response.text
    assert not ShipFromLocation.objects.exists()


def test_bad_zip_is_explained(owner_client):
    response = owner_client.post(reverse("locations:new"), {**GOOD, "postal_code": "ABC"})
    assert "5-digit ZIP" in response.text


def test_make_default_moves_the_default(owner_client, merchant):
    first = make_ship_from(merchant)
    second = make_ship_from(merchant, name="Annex", is_default=False)
    owner_client.post(reverse("locations:make-default", args=[second.pk]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_default and not first.is_default


def test_the_default_location_cannot_be_deleted_but_another_can(owner_client, merchant):
    default = make_ship_from(merchant)
    other = make_ship_from(merchant, name="Annex", is_default=False)
    response = owner_client.post(reverse("locations:delete", args=[default.pk]), follow=True)
    assert "Make another location the default" in response.text
    owner_client.post(reverse("locations:delete", args=[other.pk]))
    assert list(ShipFromLocation.objects.all()) == [default]


def test_settings_hub_links_everywhere_and_only_the_owner_edits_the_company(owner_client, merchant):
    page = owner_client.get(reverse("settings")).text
    for title in ["Ship-from locations", "Carrier accounts", "API key", "End of day"]:
        assert title in page
    owner_client.post(reverse("settings"), {"name": "Acme Co", "time_zone": "America/Denver"})
    merchant.refresh_from_db()
    assert (merchant.name, merchant.time_zone) == ("Acme Co", "America/Denver")

    from django.test import Client

    staff = Client()
    staff.force_login(make_member(merchant, "clerk@acme.test"))
    response = staff.post(reverse("settings"), {"name": "Hijacked", "time_zone": "UTC"})
    assert response.status_code == 403
    assert "Your role in Acme Co (shipper)" in response.text
    merchant.refresh_from_db()
    assert merchant.name == "Acme Co"


def test_R43_the_time_zone_comes_from_the_zip_and_a_contradicting_one_is_not_kept(
    owner_client, merchant
):
    chicago = {**GOOD, "city": "Chicago", "state": "IL", "postal_code": "60601"}
    owner_client.post(reverse("locations:new"), {**chicago, "time_zone": "America/New_York"})
    location = ShipFromLocation.objects.get(merchant=merchant)
    assert location.time_zone == "America/Chicago"  # where Stamps.com judges 9 pm
    page = owner_client.get(reverse("locations:edit", args=[location.pk])).text
    assert "Time zone: America/Chicago (from ZIP code 60601)" in page
    assert 'name="time_zone"' not in page  # nothing to pick that could contradict the ZIP
    moved = {**chicago, "city": "Honolulu", "state": "HI", "postal_code": "96813"}
    owner_client.post(reverse("locations:edit", args=[location.pk]), moved)
    assert ShipFromLocation.objects.get(pk=location.pk).time_zone == "Pacific/Honolulu"
