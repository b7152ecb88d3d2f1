"""Rate shopping: cubic tiers (R20, R35), GlobalPost and discounted rates (R5), options."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from carriers.models import CarrierAccount, CarrierCall
from carriers.stamps.sandbox.rates import cubic_tier as carrier_cubic_tier
from shipments import rating
from tests.shipments.conftest import international

sides = st.decimals(min_value="0.25", max_value="30", places=3)


def test_R35_the_rule_example_rounds_each_side_down_and_takes_the_next_tenth():
    assert rating.cubic_tier("6.125", "5.875", "6.375") == Decimal("0.2")


def test_R35_above_half_a_cubic_foot_there_is_no_cubic_price():
    assert rating.cubic_tier(12, 12, 6.5) is None  # 0.54 cu ft
    assert rating.cubic_tier(12, 12, 6) == Decimal("0.5")


@given(length=sides, width=sides, height=sides)
def test_R35_cubic_tier_for_any_dimensions(length, width, height):
    tier = rating.cubic_tier(length, width, height)
    floored = [math.floor(float(s) * 4) / 4 for s in (length, width, height)]
    feet = floored[0] * floored[1] * floored[2] / 1728
    if feet > 0.5 or feet <= 0:
        assert tier is None
    else:
        assert tier in {Decimal(t) / 10 for t in range(1, 6)}
        assert float(tier) - 0.1 < feet + 1e-9 and feet <= float(tier) + 1e-9
    assert tier == carrier_cubic_tier(length, width, height)  # ShipDesk says what USPS charges


pytestmark_db = pytest.mark.django_db(transaction=True)


@pytestmark_db
def test_R35_priority_mail_package_with_dimensions_gets_the_cubic_price_and_its_tier(
    stamps, account, make_shippable
):
    order = make_shippable(
        length_in=Decimal("6.125"), width_in=Decimal("5.875"), height_in=Decimal("6.375")
    )
    shop = rating.rate_shop(account, rating.query_for_order(order))
    priority = next(q for q in shop.quotes if q.service == "US-PM")
    assert priority.rate.cubic_pricing
    assert priority.cubic_tier == Decimal("0.2")
    plain = rating.rate_shop(
        account, rating.query_for_order(make_shippable())
    )  # same weight, no dimensions
    ordinary = next(q for q in plain.quotes if q.service == "US-PM")
    assert priority.postage < ordinary.postage  # used only when lower
    assert any("cubic prices" in n for n in plain.notes)  # R20: steered to dimensions


@pytestmark_db
def test_R5_the_free_account_gets_discounted_rates_and_a_personal_account_its_own(
    stamps, sandbox_account, make_shippable
):
    pro = sandbox_account("acme-pro", balance="100.00")
    personal = sandbox_account(
        "acme-own", balance="100.00", plan=CarrierAccount.Plan.PERSONAL, is_default=False
    )
    order = make_shippable(length_in=Decimal("6"), width_in=Decimal("6"), height_in=Decimal("6"))
    query = rating.query_for_order(order)
    discounted = {q.service: q for q in rating.rate_shop(pro, query).quotes}
    own = {q.service: q for q in rating.rate_shop(personal, query).quotes}
    assert all(discounted[s].total < own[s].total for s in own if s != "US-FC")
    assert discounted["US-PM"].cubic_tier and not own["US-PM"].cubic_tier
    abroad = rating.query_for_order(make_shippable(**international()))
    assert any(q.globalpost for q in rating.rate_shop(pro, abroad).quotes)
    personal_abroad = rating.rate_shop(personal, abroad)
    assert not any(q.globalpost for q in personal_abroad.quotes)
    assert any("GlobalPost" in n for n in personal_abroad.notes)


@pytestmark_db
def test_rates_mark_the_cheapest_and_fastest_and_price_the_chosen_options(
    stamps, account, make_shippable
):
    order = make_shippable(confirmation="signature", insurance_amount=Decimal("150.00"))
    shop = rating.rate_shop(account, rating.query_for_order(order))
    assert [q.cheapest for q in shop.quotes].count(True) == 1
    assert shop.quotes[0].cheapest
    fastest = next(q for q in shop.quotes if q.fastest)
    assert fastest.service == "US-XM"
    ground = next(q for q in shop.quotes if q.service == "US-GA")
    names = [n for n, _ in ground.surcharges]
    assert names == ["Signature", "Insurance"]
    assert ground.total == ground.postage + sum(a for _, a in ground.surcharges)
    # Media Mail offers no signature: left out, and the panel says why.
    assert "US-MM" not in {q.service for q in shop.quotes}
    assert any("Signature" in why for _, why in shop.hidden)


@pytestmark_db
def test_identical_rate_requests_are_answered_from_the_cache(stamps, account, make_shippable):
    order = make_shippable()
    for _ in range(3):
        rating.rate_shop(account, rating.query_for_order(order))
    assert CarrierCall.objects.filter(operation="GetRates").count() == 1
    order.weight_oz = Decimal("9.0")
    rating.rate_shop(account, rating.query_for_order(order))
    assert CarrierCall.objects.filter(operation="GetRates").count() == 2


@pytestmark_db
def test_the_rates_panel_follows_the_package_form_before_it_is_saved(
    stamps, account, make_shippable, owner_client
):
    order = make_shippable()
    url = reverse("shipments:rates", args=[order.pk])
    page = owner_client.get(url)
    assert page.status_code == 200
    assert "Priority Mail" in page.text and "Cheapest" in page.text and "Buy label" in page.text
    assert "Discounted rates" in page.text
    form = {
        "ship_from": order.ship_from_id,
        "service": "US-PM",
        "package_type": "Package",
        "weight_lb": 5,
        "weight_oz": "0",
        "confirmation": "tracking",
        "insurance_amount": "0",
        "customs_contents_type": "merchandise",
        "non_delivery": "return",
    }
    heavier = owner_client.get(url, form, headers={"HX-Request": "true"})
    assert heavier.text != page.text
    assert "Media Mail" in heavier.text


@pytestmark_db
def test_R20_the_calculator_rates_cubic_as_package_with_dimensions(stamps, account, owner_client):
    response = owner_client.get(
        reverse("shipments:calculator"),
        {
            "from_zip": "11201",
            "country": "US",
            "to_zip": "94105",
            "package_type": "Cubic",
            "weight_lb": "3",
            "weight_oz": "0",
            "length": "6.125",
            "width": "5.875",
            "height": "6.375",
            "confirmation": "tracking",
        },
    )
    assert response.status_code == 200
    assert "no “Cubic” package type" in response.text
    assert "tier 0.2 cu ft" in response.text
    assert not CarrierCall.objects.filter(outcome="fault").exists()


@pytestmark_db
def test_the_calculator_shows_globalpost_abroad(stamps, account, owner_client):
    response = owner_client.get(
        reverse("shipments:calculator"),
        {
            "from_zip": "11201",
            "country": "DE",
            "to_zip": "10115",
            "package_type": "Package",
            "weight_lb": "2",
            "weight_oz": "0",
            "confirmation": "none",
        },
    )
    assert "GlobalPost" in response.text


@pytest.mark.django_db(transaction=True)
def test_the_orders_chosen_service_is_preselected_not_just_the_cheapest(
    owner_client, merchant, sandbox_account
):
    from django.urls import reverse

    from tests.factories import make_order, make_ship_from

    sandbox_account("acme-rates", balance="100.00")
    order = make_order(
        merchant, "R-1", service="US-PM", weight_lb=1, ship_from=make_ship_from(merchant)
    )
    html = owner_client.get(reverse("shipments:rates", args=[order.pk])).text
    assert 'value="US-PM" id="svc-US-PM" checked' in html
    assert html.count(" checked") == 1


@pytestmark_db
def test_a_package_over_70_lb_says_why_there_are_no_rates(
    stamps, account, make_shippable, owner_client
):
    """The panel showed an empty list (no rates, no reason, no next step) for a 200 lb box."""
    order = make_shippable(weight_lb=200, weight_oz=Decimal("0"))
    page = owner_client.get(reverse("shipments:rates", args=[order.pk])).text
    assert "USPS takes packages up to 70 lb; this one weighs 200 lb" in page
    assert "Buy label" not in page


@pytestmark_db
def test_when_the_carrier_offers_no_service_the_panel_says_so(
    stamps, account, make_shippable, owner_client, monkeypatch
):
    monkeypatch.setattr(rating, "_carrier_rates", lambda account, query: [])
    order = make_shippable()
    page = owner_client.get(reverse("shipments:rates", args=[order.pk])).text
    assert 'data-testid="rates-error"' in page
    assert "Stamps.com offered no USPS service for this package" in page


@pytestmark_db
def test_when_every_service_lacks_a_chosen_option_the_panel_says_which_to_turn_off(
    stamps, account, make_shippable, owner_client, monkeypatch
):
    """Only Media Mail offered, and it has no Signature: the panel was empty, with no reason."""
    carrier_rates = rating._carrier_rates
    monkeypatch.setattr(
        rating,
        "_carrier_rates",
        lambda account, query: [
            r for r in carrier_rates(account, query) if r.service_type == "US-MM"
        ],
    )
    order = make_shippable(confirmation="signature")
    page = owner_client.get(reverse("shipments:rates", args=[order.pk])).text
    assert 'data-testid="rates-error"' in page
    assert "No service Stamps.com offers here has Signature" in page
    assert "Other Shipping Options" in page
