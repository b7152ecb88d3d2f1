"""The order list (filters, search, sort, pages, htmx) and the order page with its options."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from tests.factories import make_order, make_ship_from


@pytest.fixture
def orders(merchant):
    now = timezone.now()
    return [
        make_order(merchant, "A-1", store="Etsy", tags="gift", order_date=now),
        make_order(
            merchant, "A-2", store="Shopify", country="CA", state="ON", postal_code="M5V 2T6",
            recipient_name="Liam MacDonald", email="liam@example.com",
            order_date=now - dt.timedelta(days=3),
        ),
        make_order(
            merchant, "A-3", status=Order.Status.SHIPPED, order_date=now - dt.timedelta(days=9)
        ),
    ]  # fmt: skip


def numbers(response) -> list[str]:
    return [o.number for o in response.context["orders"]]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", ["A-1", "A-2", "A-3"]),
        ("status=shipped", ["A-3"]),
        ("store=etsy", ["A-1"]),
        ("country=CA", ["A-2"]),
        ("country=Canada", ["A-2"]),
        ("tag=gift", ["A-1"]),
        ("q=liam@", ["A-2"]),
        ("q=MacDon", ["A-2"]),
        ("q=A-3", ["A-3"]),
        ("q=SKU-0", ["A-1", "A-2", "A-3"]),
        ("sort=date", ["A-3", "A-2", "A-1"]),
        ("sort=-number", ["A-3", "A-2", "A-1"]),
        ("status=bogus&sort=nonsense", ["A-1", "A-2", "A-3"]),
    ],
)
def test_the_order_list_filters_searches_and_sorts(owner_client, orders, query, expected):
    response = owner_client.get(f"/orders/?{query}")
    assert numbers(response) == expected


def test_date_filters(owner_client, orders):
    since = (timezone.now() - dt.timedelta(days=5)).date().isoformat()
    assert numbers(owner_client.get(f"/orders/?from={since}")) == ["A-1", "A-2"]
    assert numbers(owner_client.get(f"/orders/?to={since}")) == ["A-3"]


@pytest.mark.parametrize(
    "query", ["to=9999-12-31", "from=9999-12-31", "from=0001-01-01&to=0001-01-01"]
)
def test_a_date_filter_out_of_any_real_range_means_no_bound(owner_client, orders, query):
    # The date box takes any year; the day after 9999-12-31 does not exist (a server error).
    assert numbers(owner_client.get(f"/orders/?{query}")) == ["A-1", "A-2", "A-3"]


def test_pages_keep_the_filters_in_their_links(owner_client, merchant):
    for i in range(30):
        make_order(merchant, f"P-{i:02}", store="Etsy")
    page = owner_client.get("/orders/?store=Etsy&per_page=25&sort=number")
    pager = page.context["pager"]
    assert numbers(page)[0] == "P-00" and pager.after
    assert pager.next_query.startswith("store=Etsy&per_page=25&sort=number&after=")
    assert pager.next_query.replace("&", "&amp;") in page.text
    second = owner_client.get(f"/orders/?{pager.next_query}")
    assert numbers(second) == [f"P-{i}" for i in range(25, 30)]
    assert not second.context["pager"].after and second.context["pager"].before


def test_htmx_filter_changes_return_only_the_results_fragment(owner_client, orders):
    response = owner_client.get("/orders/?status=shipped", headers={"HX-Request": "true"})
    assert '<div id="order-results">' in response.text
    assert "<html" not in response.text and "A-3" in response.text


def test_the_filter_form_pushes_a_shareable_url_and_works_without_htmx(owner_client, orders):
    page = owner_client.get("/orders/").text
    assert 'hx-push-url="true"' in page and 'action="/orders/"' in page and 'method="get"' in page


def test_the_list_query_count_does_not_grow_with_orders_or_page_size(owner_client, merchant):
    def count(per_page: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            owner_client.get(f"/orders/?per_page={per_page}")
        return len(queries)

    make_order(merchant, "Q-0")
    few = count(25)
    for i in range(1, 120):
        make_order(merchant, f"Q-{i}", items=2, tags="x, y")
    assert count(25) == few
    assert count(100) == few


def test_another_merchants_orders_never_appear(owner_client, outsider_merchant, orders):
    make_order(outsider_merchant, "B-1")
    assert "B-1" not in numbers(owner_client.get("/orders/?q=B-1"))


# -- order page ---------------------------------------------------------------------------


@pytest.fixture
def ca_order(merchant):
    ship_from = make_ship_from(merchant)
    return make_order(
        merchant, "CA-9", country="CA", state="ON", postal_code="M5V 2T6", ship_from=ship_from,
        service="US-FCI", weight_lb=1, recipient_name="Liam MacDonald",
    )  # fmt: skip


def shipping_data(**overrides) -> dict:
    data = {
        "service": "US-GA",
        "package_type": "Package",
        "weight_lb": "1",
        "weight_oz": "2",
        "confirmation": "tracking",
        "insurance_amount": "0",
        "customs_contents_type": "merchandise",
        "non_delivery": "return",
    }
    return data | overrides


def test_the_order_page_shows_addresses_items_package_and_rule_changes(owner_client, order):
    page = owner_client.get(reverse("order-detail", kwargs={"pk": order.pk})).text
    for text in ("Jane Receiver", "SKU-0", "Other Shipping Options", "Automation"):
        assert text in page


def test_R15_the_panel_offers_dangerous_goods_only_for_services_that_allow_it(
    owner_client, merchant, order
):
    make_ship_from(merchant)
    url = reverse("order-package", kwargs={"pk": order.pk})
    hx = {"HX-Request": "true"}
    ground = owner_client.post(url, shipping_data(service="US-GA"), headers=hx)
    assert 'name="dangerous_goods"' in ground.text
    first_class = owner_client.post(url, shipping_data(service="US-FC"), headers=hx)
    assert 'name="dangerous_goods"' not in first_class.text
    refused = owner_client.post(
        url, shipping_data(service="US-FC", dangerous_goods="on"), headers=hx
    )
    assert "Dangerous Goods can&#x27;t ship with First-Class Mail" in refused.text
    order.refresh_from_db()
    assert not order.dangerous_goods and order.service == "US-FC"  # the valid save before


def test_an_option_saves_through_htmx_and_returns_the_panel(owner_client, merchant, order):
    make_ship_from(merchant)
    url = reverse("order-package", kwargs={"pk": order.pk})
    response = owner_client.post(
        url, shipping_data(dangerous_goods="on", label_message_1="Fragile"),
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert response.status_code == 200 and 'id="shipping-panel"' in response.text
    assert "<html" not in response.text
    order.refresh_from_db()
    assert order.dangerous_goods and order.label_message_1 == "Fragile"


def test_the_panel_works_without_htmx_too(owner_client, order):
    url = reverse("order-package", kwargs={"pk": order.pk})
    response = owner_client.post(url, shipping_data(hold_for_pickup="on"))
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.hold_for_pickup


def test_R16_R17_R22_the_international_panel(owner_client, ca_order):
    page = owner_client.get(reverse("order-detail", kwargs={"pk": ca_order.pk})).text
    assert 'value="signature"' not in page  # R16
    assert 'name="label_message_1"' not in page  # R17
    assert 'name="prepay_duties_canada"' in page  # R22
    assert 'name="customs_contents_type"' in page and 'name="non_delivery"' in page
    url = reverse("order-package", kwargs={"pk": ca_order.pk})
    data = shipping_data(service="US-FCI", prepay_duties_canada="on")
    response = owner_client.post(url, data | {"confirmation": "signature"})
    assert response.status_code == 422
    response = owner_client.post(url, data | {"label_message_1": "Hi"})
    assert "Label messages aren&#x27;t available for international" in response.text
    response = owner_client.post(url, data | {"package_type": "Flat Rate Box"})
    assert "Medium or Large Flat Rate Boxes" in response.text
    assert owner_client.post(url, data).status_code == 302
    ca_order.refresh_from_db()
    assert ca_order.prepay_duties_canada


def test_the_detail_page_lists_validation_problems_with_the_fix(owner_client, merchant):
    order = make_order(
        merchant, "X-1", country="HK", state="", postal_code="", recipient_name="Wing"
    )
    page = owner_client.get(reverse("order-detail", kwargs={"pk": order.pk})).text
    assert "needs a first and last name" in page  # R18
    assert "Hong Kong has no postal codes: ShipDesk sends 00000" in page  # R19


def test_a_domestic_panel_saves_without_the_customs_fields_it_does_not_show(owner_client, order):
    data = shipping_data(non_machinable="on")
    del data["customs_contents_type"], data["non_delivery"]
    response = owner_client.post(reverse("order-package", kwargs={"pk": order.pk}), data)
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.non_machinable and order.customs_contents_type == "merchandise"


def test_a_shipped_orders_package_cannot_be_edited(owner_client, merchant):
    shipped = make_order(merchant, "S-1", status=Order.Status.SHIPPED)
    url = reverse("order-package", kwargs={"pk": shipped.pk})
    response = owner_client.post(url, shipping_data(service="US-PM"))
    assert response.status_code == 422 and "can&#x27;t change" in response.text
    shipped.refresh_from_db()
    assert shipped.service == ""


def test_an_orders_prices_and_total_read_as_money(owner_client, merchant):
    order = make_order(merchant, "BIG-1", total=Decimal("1250"))
    order.items.update(unit_price=Decimal("1250"))
    page = owner_client.get(reverse("order-detail", args=[order.pk])).text
    assert "Total $1,250.00" in page
    assert "$1,250.00</td>" in page
