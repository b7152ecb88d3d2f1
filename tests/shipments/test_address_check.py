"""The ship-to check on the order page and before buying (R37, R37a, R37b), against the
sandbox over real HTTP."""

from __future__ import annotations

import pytest
from django.urls import reverse

from carriers.models import CarrierCall
from orders import addresses
from shipments import labels

pytestmark = pytest.mark.django_db(transaction=True)

MISSPELLED = {"street1": "2400 N Clrak St", "city": "Chicgo", "state": "IL", "postal_code": "60614"}
UNKNOWN_STREET = {"street1": "77 Nowhere Rd", "city": "Chicago", "state": "IL"}


def cleanse_calls() -> int:
    return CarrierCall.objects.filter(operation="CleanseAddress").count()


def rate_calls() -> int:
    return CarrierCall.objects.filter(operation="GetRates").count()


def test_a_misspelled_street_is_corrected_before_the_rates_show_and_the_change_is_shown_R37(
    owner_client, account, make_shippable
):
    order = make_shippable(**MISSPELLED)
    page = owner_client.get(reverse("shipments:rates", args=[order.pk]))
    html = page.content.decode()
    assert 'data-status="corrected"' in html
    assert "See what changed" in html
    assert "<del>2400 N Clrak St</del>" in html and "<ins>2400 N CLARK ST</ins>" in html
    assert "<del>Chicgo</del>" in html and "<ins>CHICAGO</ins>" in html
    assert 'data-testid="total"' in html  # rates shown, priced with the corrected address


def test_the_check_costs_one_call_per_address_version_and_none_per_rate_refresh_R37a(
    owner_client, account, make_shippable
):
    order = make_shippable(**MISSPELLED)
    url = reverse("shipments:rates", args=[order.pk])
    owner_client.get(url)
    assert cleanse_calls() == 1
    for weight in ("5", "6", "7"):  # the merchant changes the package: rates refresh
        owner_client.get(url, {"weight_lb": "1", "weight_oz": weight, "package_type": "Package"})
    assert cleanse_calls() == 1
    assert rate_calls() == 4
    order.street1 = "2500 N Clark St"  # an edit to the address: checked once more
    order.save()
    owner_client.get(url)
    owner_client.get(url)
    assert cleanse_calls() == 2
    order.refresh_from_db()  # as the buy view loads it
    labels.buy_label(order, account, "US-PM")
    assert cleanse_calls() == 2  # buying with the checked address asks nothing more


def test_no_label_for_an_unverified_address_until_the_merchant_overrides_it_R37b(
    owner_client, stamps, account, make_shippable
):
    order = make_shippable(**UNKNOWN_STREET, postal_code="60614")
    page = owner_client.get(reverse("shipments:rates", args=[order.pk])).content.decode()
    assert 'data-status="unverified"' in page and "could not be verified" in page
    with pytest.raises(labels.LabelError, match="could not verify"):
        labels.buy_label(order, account, "US-PM")
    assert stamps.indicia(account.username) == []
    response = owner_client.post(reverse("shipments:ship-to", args=[order.pk]))
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.address_status == "overridden"
    shipment = labels.buy_label(order, account, "US-PM")
    assert shipment.tracking_number
    (indicium,) = stamps.indicia(account.username)
    assert indicium.rate["To"]["Address1"] == "77 NOWHERE RD"


def test_an_edit_after_an_override_needs_a_new_check_R37b(account, make_shippable):
    order = make_shippable(**UNKNOWN_STREET, postal_code="60614")
    assert addresses.check_ship_to(order, account) == "unverified"
    addresses.use_as_entered(order)
    order.street1 = "78 Nowhere Rd"
    order.save()
    assert addresses.status_of(order) == "unchecked"
    with pytest.raises(labels.LabelError, match="could not verify"):
        labels.buy_label(order, account, "US-PM")


def test_a_candidate_becomes_the_verified_address_in_one_click_R37(
    owner_client, stamps, account, make_shippable
):
    order = make_shippable(street1="10 Harvard", city="Allston", state="MA", postal_code="02134")
    page = owner_client.get(reverse("shipments:rates", args=[order.pk])).content.decode()
    assert "10 N HARVARD ST" in page and "10 HARVARD AVE" in page
    chosen = addresses.candidates(order.__class__.objects.get(pk=order.pk))
    index = [c.address1 for c in chosen].index("10 HARVARD AVE")
    owner_client.post(reverse("shipments:ship-to", args=[order.pk]), {"candidate": str(index)})
    order.refresh_from_db()
    assert (order.street1, order.address_status) == ("10 HARVARD AVE", "verified")
    assert labels.buy_label(order, account, "US-PM").tracking_number


@pytest.mark.parametrize("forged", ["²", "１", "-1", "abc", "99999999999999999999999", ""])
def test_a_candidate_number_that_is_none_of_the_offered_ones_changes_nothing_R37(
    owner_client, account, make_shippable, forged
):
    """'²' passed str.isdigit() and then failed int(): a server error instead of the answer."""
    order = make_shippable(street1="10 Harvard", city="Allston", state="MA", postal_code="02134")
    owner_client.get(reverse("shipments:rates", args=[order.pk]))
    url = reverse("shipments:ship-to", args=[order.pk])
    response = owner_client.post(url, {"candidate": forged}, follow=True)
    assert response.status_code == 200
    assert "That suggestion is no longer offered" in response.content.decode()
    order.refresh_from_db()
    assert order.street1 == "10 Harvard" and order.address_status != "verified"


def test_an_incomplete_address_shows_no_rates_and_cannot_be_bought_R37c(
    owner_client, account, make_shippable
):
    order = make_shippable(postal_code="")
    page = owner_client.get(reverse("shipments:rates", args=[order.pk])).content.decode()
    assert "Address needs attention" in page and "ZIP code" in page
    assert cleanse_calls() == 0 and rate_calls() == 0
    with pytest.raises(labels.LabelError, match="needs attention"):
        labels.buy_label(order, account, "US-PM")
