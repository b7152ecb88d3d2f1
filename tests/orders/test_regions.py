"""States and provinces are checked per country wherever an address is typed: ship-from
locations, an order's ship-to, new orders and import. A full name is understood and stored as
its code; what is not a state is refused in a form (which keeps what was typed) and flagged on
an imported order."""

from __future__ import annotations

import lxml.html
import pytest
from django.urls import reverse

from locations.models import ShipFromLocation
from locations.regions import region_code
from orders import importing
from orders.models import AddressStatus, Order
from tests.factories import make_order
from tests.orders.test_import_csv import csv_text, row
from tests.orders.test_locations import GOOD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("country", "typed", "code"),
    [
        ("US", "Illinois", "IL"),
        ("US", " district of columbia ", "DC"),
        ("US", "Puerto Rico", "PR"),
        ("US", "Armed Forces Europe", "AE"),
        ("US", "ap", "AP"),
        ("US", "Calif.", "CA"),
        ("CA", "ontario", "ON"),
        ("CA", "Québec", "QC"),
        ("CA", "B.C.", "BC"),
        ("US", "Ontario", None),
        ("CA", "Illinois", None),
        ("US", "Ilinois", None),
    ],
)
def test_state_and_province_names_are_understood_per_country(country, typed, code):
    assert region_code(country, typed) == code


def test_other_countries_regions_are_kept_as_typed():
    assert region_code("JP", "Tokyo") == "Tokyo"


def options(html: str, name: str) -> list[str]:
    return lxml.html.fromstring(html).xpath(f'//select[@name="{name}"]//option/@value')


def test_the_ship_from_state_is_a_list_of_us_states_territories_and_military(owner_client):
    page = owner_client.get(reverse("locations:new")).text
    offered = options(page, "state")
    assert {"IL", "DC", "PR", "GU", "VI", "AA", "AE", "AP"} <= set(offered)
    assert "ON" not in offered  # ship-from locations are in the US


def test_a_ship_from_state_typed_in_full_is_stored_as_its_code(owner_client, merchant):
    chicago = {**GOOD, "city": "Chicago", "postal_code": "60601", "state": "Illinois"}
    response = owner_client.post(reverse("locations:new"), chicago)
    assert response.status_code == 302
    assert ShipFromLocation.objects.get(merchant=merchant).state == "IL"


def test_a_ship_from_state_that_is_not_one_is_refused_and_the_form_keeps_the_input(
    owner_client, merchant
):
    response = owner_client.post(reverse("locations:new"), {**GOOD, "state": "Ilinois"})
    assert response.status_code == 200
    assert "“Ilinois” is not a US state: choose the state from the list" in response.text
    assert 'value="100 Main St"' in response.text
    # What was typed stays selected, so the merchant sees what to correct.
    assert lxml.html.fromstring(response.text).xpath(
        '//select[@name="state"]/option[@selected]/@value'
    ) == ["Ilinois"]
    assert not ShipFromLocation.objects.exists()


SHIP_TO = {
    "recipient_name": "Jane Receiver",
    "street1": "1 Market St",
    "city": "Toronto",
    "state": "ontario",
    "postal_code": "M5V 2T6",
    "country": "CA",
    "residential": "on",
}


def test_an_order_address_edit_normalises_the_province_and_is_checked_again(owner_client, merchant):
    order = make_order(merchant, "R-1", address_status=AddressStatus.VERIFIED)
    response = owner_client.post(reverse("order-address", args=[order.pk]), SHIP_TO)
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.state, order.country, order.city) == ("ON", "CA", "Toronto")
    page = owner_client.get(reverse("order-detail", args=[order.pk])).text
    assert "Ship-to address saved" in page


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"state": "Ontario", "country": "US"}, "“Ontario” is not a US state, and the country"),
        ({"state": "", "region": "Ilinois", "country": "US"}, "“Ilinois” is not a US state"),
        ({"state": "", "country": "CA"}, "Choose the province."),
        ({"state": "IL", "country": "FR"}, "is a US state or Canadian province, but the"),
    ],
)
def test_an_order_address_with_a_wrong_state_is_refused_and_nothing_is_saved(
    owner_client, merchant, post, message
):
    order = make_order(merchant, "R-2")
    response = owner_client.post(
        reverse("order-address", args=[order.pk]), {**SHIP_TO, "city": "Springfield", **post}
    )
    assert response.status_code == 422
    assert message in response.text
    doc = lxml.html.fromstring(response.text)
    assert doc.xpath('//details[@class="edit-address"][@open]')
    assert doc.xpath('//input[@name="city"]/@value') == ["Springfield"]
    order.refresh_from_db()
    assert (order.city, order.state) == ("San Francisco", "CA")


def test_an_other_countrys_region_is_typed_and_kept(owner_client, merchant):
    order = make_order(merchant, "R-3")
    post = {**SHIP_TO, "state": "", "region": "Tokyo", "country": "JP", "city": "Chiyoda"}
    owner_client.post(reverse("order-address", args=[order.pk]), post)
    order.refresh_from_db()
    assert (order.state, order.country) == ("Tokyo", "JP")
    page = owner_client.get(reverse("order-detail", args=[order.pk])).text
    assert lxml.html.fromstring(page).xpath('//input[@name="region"]/@value') == ["Tokyo"]


def test_a_new_order_with_a_state_name_gets_its_code(owner_client, merchant):
    post = {
        "order_number": "N-1",
        "recipient_name": "Jane Receiver",
        "street1": "1 Main St",
        "city": "Chicago",
        "state": "Illinois",
        "postal_code": "60601",
        "country": "United States",
        "quantity": 1,
        "unit_price": 0,
        "item_weight_oz": 0,
    }
    response = owner_client.post(reverse("order-new"), post)
    assert response.status_code == 302
    assert Order.objects.get(number="N-1").state == "IL"
    refused = owner_client.post(
        reverse("order-new"), {**post, "order_number": "N-2", "state": "Ill-"}
    )
    assert "“Ill-” is not a US state" in refused.text
    assert not Order.objects.filter(number="N-2").exists()


def test_import_normalises_state_names_and_flags_what_it_cannot_R37c(merchant):
    data = csv_text(
        row("1201", state="Illinois", city="Chicago", postal="60601"),
        row("1202", state="ontario", country="CA", postal="M5V 2T6", city="Toronto"),
        row("1203", state="Ilinois", city="Chicago", postal="60601"),
    )
    result = importing.import_csv(merchant, data)
    assert result.created == 3 and not result.errors
    found = {o.number: (o.state, o.address_status) for o in Order.objects.all()}
    assert found == {
        "1201": ("IL", "unchecked"),
        "1202": ("ON", "unchecked"),
        "1203": ("Ilinois", "incomplete"),
    }


def test_the_rates_panel_says_which_state_needs_attention(owner_client, merchant):
    order = make_order(merchant, "R-4", state="Ilinois", postal_code="60601")
    panel = owner_client.get(reverse("shipments:rates", args=[order.pk])).text
    assert "Address needs attention" in panel
    assert "“Ilinois” is not a US state" in panel and "Edit the address" in panel
