"""Order list bulk tools: select the page or every order matching the filter, set service,
package, weight and options on all of them, keep the selection across htmx actions, saved
views per person, and the weight / items / age columns, with query counts that do not grow
with the number of orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import lxml.html
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, SavedView
from tests.factories import make_member, make_order, make_rule

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def ticked(html: str) -> set[str]:
    doc = lxml.html.fromstring(html)
    return set(doc.xpath('//input[@name="order"][@checked]/@value'))


def test_list_shows_weight_items_and_age(owner_client, merchant):
    make_order(
        merchant, "W-1", items=3, weight_lb=2, weight_oz=Decimal("4.5"),
        order_date=timezone.now() - dt.timedelta(days=3, hours=2),
    )  # fmt: skip
    doc = lxml.html.fromstring(owner_client.get(reverse("order-list")).text)
    row = doc.xpath('//table[@id="orders-table"]/tbody/tr')[0]
    assert row.xpath('.//*[@data-testid="weight"]')[0].text_content() == "2 lb 4.5 oz"
    assert row.xpath('.//*[@data-testid="items"]')[0].text_content() == "3"
    assert row.xpath('.//td[@data-label="Age"]')[0].text_content() == "3\xa0days"


def test_select_all_on_the_page_works_without_javascript(owner_client, merchant):
    orders = [make_order(merchant, f"S-{i}") for i in range(3)]
    page = owner_client.get(reverse("order-list"), {"select": "page"}).text
    assert ticked(page) == {str(o.pk) for o in orders}


def test_select_all_matching_the_filter_counts_and_acts_on_every_page(owner_client, merchant):
    for i in range(30):
        make_order(merchant, f"CA-{i}", country="CA", state="ON", postal_code="M5V 2T6")
    make_order(merchant, "US-1")
    page = owner_client.get(reverse("order-list"), {"country": "CA", "per_page": 25}).text
    link = lxml.html.fromstring(page).xpath('//*[@data-testid="select-all-matching"]/@href')[0]
    assert "select=all" in link and "country=CA" in link
    chosen = owner_client.get(reverse("order-list") + link).text
    banner = lxml.html.fromstring(chosen).xpath('//*[@data-testid="select-all-banner"]')[0]
    assert "All 30 orders matching this filter are selected" in banner.text_content()
    # The bulk change covers the 5 orders on page 2 as well, never the US order.
    response = owner_client.post(
        reverse("order-bulk"),
        {"scope": "filter", "filter": "country=CA&per_page=25", "service": "US-PMI"},
    )
    assert response.status_code == 302
    assert Order.objects.filter(service="US-PMI").count() == 30
    assert Order.objects.get(number="US-1").service == ""


def test_bulk_set_service_package_weight_and_options(owner_client, merchant):
    a, b = make_order(merchant, "B-1"), make_order(merchant, "B-2")
    shipped = make_order(merchant, "B-3", status=Order.Status.SHIPPED)
    untouched = make_order(merchant, "B-4")
    response = owner_client.post(
        reverse("order-bulk"),
        {
            "order": [a.pk, b.pk, shipped.pk],
            "filter": "",
            "service": "US-GA",
            "package_type": "Package",
            "weight_lb": "1",
            "weight_oz": "8",
            "confirmation": "signature",
            "dangerous_goods": "on",
        },
        headers=HX,
    )
    notice = lxml.html.fromstring(response.text).xpath('//*[@data-testid="bulk-notice"]')[0]
    assert "2 orders changed" in notice.text_content()
    assert "1 shipped or cancelled left alone" in notice.text_content()
    for order in (a, b):
        order.refresh_from_db()
        assert (order.service, order.weight_lb, order.weight_oz) == ("US-GA", 1, Decimal("8"))
        assert order.confirmation == "signature" and order.dangerous_goods
    shipped.refresh_from_db()
    untouched.refresh_from_db()
    assert shipped.service == "" and untouched.service == ""


def test_bulk_change_an_order_cannot_take_is_refused_for_that_order_only(owner_client, merchant):
    domestic = make_order(merchant, "H-1", service="US-GA")
    abroad = make_order(
        merchant, "H-2", country="CA", state="ON", postal_code="M5V 2T6", service="US-PMI"
    )
    response = owner_client.post(
        reverse("order-bulk"),
        {"order": [domestic.pk, abroad.pk], "filter": "", "dangerous_goods": "on"},
        headers=HX,
    )
    notice = lxml.html.fromstring(response.text).xpath('//*[@data-testid="bulk-notice"]')[0]
    text = notice.text_content()
    assert "1 order changed" in text and "1 order was not changed" in text
    assert "H-2: USPS doesn't carry Dangerous Goods to other countries" in text
    domestic.refresh_from_db()
    abroad.refresh_from_db()
    assert domestic.dangerous_goods and not abroad.dangerous_goods


def test_a_bulk_change_with_nothing_to_change_says_so(owner_client, merchant):
    order = make_order(merchant, "N-1")
    response = owner_client.post(
        reverse("order-bulk"), {"order": [order.pk], "filter": ""}, headers=HX
    )
    assert "Choose what to change" in response.text
    assert ticked(response.text) == {str(order.pk)}


@pytest.mark.parametrize("pounds", ["99999999999999999999", "3000000000", "151"])
def test_a_bulk_weight_no_parcel_has_is_refused_and_nothing_changes(owner_client, merchant, pounds):
    """A weight past the database's integers was a server error (past 2**31 on PostgreSQL,
    2**63 on SQLite); anything under that was saved on every selected order."""
    order = make_order(merchant, "P-1", weight_lb=2)
    response = owner_client.post(
        reverse("order-bulk"), {"order": [order.pk], "filter": "", "weight_lb": pounds}, headers=HX
    )
    assert response.status_code == 200
    assert "less than or equal to 150" in response.text
    assert ticked(response.text) == {str(order.pk)}
    order.refresh_from_db()
    assert order.weight_lb == 2


def test_selection_survives_reapply_rules_and_bulk_changes_with_htmx(owner_client, merchant):
    make_rule(merchant, "Tag", actions={"add_tag": "ruled"})
    orders = [make_order(merchant, f"K-{i}") for i in range(4)]
    chosen = [orders[0].pk, orders[2].pk]
    response = owner_client.post(
        reverse("order-reapply-rules"), {"order": chosen, "filter": "sort=number"}, headers=HX
    )
    assert "Automation rules reapplied to 2 orders; 2 changed." in response.text
    assert ticked(response.text) == {str(pk) for pk in chosen}
    # The list keeps the filter it was showing.
    numbers = lxml.html.fromstring(response.text).xpath("//table//td[@data-label='Order']/a/text()")
    assert numbers == ["K-0", "K-1", "K-2", "K-3"]
    again = owner_client.post(
        reverse("order-bulk"), {"order": chosen, "filter": "", "weight_oz": "6"}, headers=HX
    )
    assert ticked(again.text) == {str(pk) for pk in chosen}


def test_bulk_actions_never_reach_another_merchants_orders(
    owner_client, merchant, outsider_merchant
):
    theirs = make_order(outsider_merchant, "X-1")
    owner_client.post(
        reverse("order-bulk"), {"order": [theirs.pk], "filter": "", "service": "US-GA"}
    )
    owner_client.post(reverse("order-bulk"), {"scope": "filter", "filter": "", "service": "US-GA"})
    theirs.refresh_from_db()
    assert theirs.service == ""


def test_saved_views_are_kept_per_person(owner_client, client, merchant):
    make_order(merchant, "V-1", country="CA", state="ON", postal_code="M5V 2T6")
    make_order(merchant, "V-2")
    query = "country=CA&page=3&after=WyJ4Il0"
    owner_client.post(reverse("order-view-save"), {"name": "Canada", "query": query})
    view = SavedView.objects.get()
    assert view.query == "country=CA"  # the page (number or cursor) is not part of a view
    page = owner_client.get(reverse("order-list")).text
    links = lxml.html.fromstring(page).xpath('//*[@data-testid="saved-views"]//a')
    assert [(a.text, a.get("href")) for a in links] == [("Canada", "?country=CA")]
    shown = owner_client.get(reverse("order-list") + "?country=CA")
    assert [o.number for o in shown.context["orders"]] == ["V-1"]
    # The same name again replaces the filter.
    owner_client.post(reverse("order-view-save"), {"name": "Canada", "query": "country=CA&tag=x"})
    assert SavedView.objects.get().query == "country=CA&tag=x"

    colleague = make_member(merchant, "colleague@example.com")
    client.force_login(colleague)
    their_page = client.get(reverse("order-list")).text
    assert not lxml.html.fromstring(their_page).xpath('//*[@data-testid="saved-views"]//a')
    assert client.post(reverse("order-view-delete", args=[view.pk])).status_code == 404
    owner_client.post(reverse("order-view-delete", args=[view.pk]))
    assert not SavedView.objects.exists()


def test_query_counts_do_not_grow_with_orders(owner_client, merchant):
    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            owner_client.get(reverse("order-list"), {"select": "all", "per_page": 100})
        return len(queries)

    def bulk_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            owner_client.post(
                reverse("order-bulk"),
                {"scope": "filter", "filter": "", "weight_oz": str(len(queries) % 9 + 1)},
                headers=HX,
            )
        return len(queries)

    make_rule(merchant, "Tag", actions={"add_tag": "ruled"})
    for i in range(3):
        make_order(merchant, f"Q-{i}", items=2)
    few_list, few_bulk = list_queries(), bulk_queries()
    for i in range(3, 60):
        make_order(merchant, f"Q-{i}", items=2)
    assert list_queries() == few_list
    assert bulk_queries() == few_bulk
