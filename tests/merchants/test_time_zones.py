"""The time-zone list a store picks from: the United States' zones first by the names people
use, then every other place once, without the aliases old software still knows."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from merchants.models import Merchant

pytestmark = pytest.mark.django_db


def _offered(page: str) -> list[str]:
    return re.findall(r'<option value="([^"]+)"', page)


def test_sign_up_offers_us_zones_first_by_their_common_names_and_no_aliases(client):
    page = client.get(reverse("signup")).text
    offered = _offered(page)
    assert offered[:5] == [
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Phoenix",
        "America/Los_Angeles",
    ]
    assert '<optgroup label="United States">' in page
    assert ">Eastern (New York)</option>" in page
    assert "Europe/Berlin" in offered and "Asia/Kolkata" in offered
    for alias in ("US/Eastern", "Etc/GMT+5", "Canada/Pacific", "Asia/Calcutta", "Europe/Kiev"):
        assert alias not in offered, alias
    assert len(offered) == len(set(offered))  # each zone once: New York is not offered twice
    assert len(offered) < 450  # Python knows about 600 names with a slash


def test_sign_up_saves_the_zone_picked(client):
    client.post(
        reverse("signup"),
        {
            "company_name": "Pacific Parcels",
            "email": "ops@pacific.test",
            "password": "a long pass phrase 42",
            "time_zone": "America/Los_Angeles",
        },
    )
    assert Merchant.objects.get(name="Pacific Parcels").time_zone == "America/Los_Angeles"


def test_a_store_saved_under_an_alias_keeps_it_when_its_settings_are_saved(owner_client, merchant):
    """A store that signed up while the list offered every name keeps its zone: the
    settings page offers it, and saving the page unchanged does not refuse it."""
    Merchant.objects.filter(pk=merchant.pk).update(time_zone="US/Eastern")
    page = owner_client.get(reverse("settings")).text
    assert '<option value="US/Eastern" selected>' in page
    answer = owner_client.post(
        reverse("settings"), {"name": merchant.name, "time_zone": "US/Eastern"}
    )
    assert answer.status_code == 302
    merchant.refresh_from_db()
    assert merchant.time_zone == "US/Eastern"


def test_the_dashboard_names_the_stores_zone_as_the_list_does(owner_client, merchant):
    Merchant.objects.filter(pk=merchant.pk).update(time_zone="America/Los_Angeles")
    assert "Time zone: Pacific (Los Angeles)" in owner_client.get(reverse("home")).text
