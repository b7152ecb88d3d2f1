"""Issue 21: the order list pages by keyset. It never counts the filter, its query count is
the same for 3 orders and 60, and Next/Previous visit every order exactly once, in every
sort, with ties in the sort key, with filters and a search kept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import Order, OrderItem
from orders.views import SORTS
from tests.factories import make_order

NAMES = ["Ann Lee", "Bo Chen", "Cy Diaz"]


def _make(merchant, count: int) -> None:
    """``count`` orders with many ties: three names, four totals, two days, two countries."""
    day = timezone.now().replace(microsecond=0)
    for i in range(count):
        make_order(
            merchant,
            f"T-{i:03}",
            recipient_name=NAMES[i % 3],
            total=Decimal(10 + i % 4),
            order_date=day - dt.timedelta(days=i % 2),
            country="CA" if i % 5 == 0 else "US",
            state="ON" if i % 5 == 0 else "CA",
            store="Etsy" if i % 7 else "Shopify",
        )


def _captured(client, url: str) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, [q["sql"] for q in queries.captured_queries]


def test_the_list_never_counts_and_its_query_count_is_the_same_at_3_and_60_orders(
    owner_client, merchant
):
    urls = ["/orders/", "/orders/?q=Lee", "/orders/?sort=recipient&status=awaiting_shipment"]
    _make(merchant, 3)
    few = [len(_captured(owner_client, url)[1]) for url in urls]
    for i in range(57):
        make_order(merchant, f"M-{i:02}", items=2, recipient_name="Di Lee")
    second = owner_client.get("/orders/?per_page=25").context["pager"].next_query
    for url, count in zip([*urls, f"/orders/?{second}"], [*few, few[0]], strict=True):
        _, sql = _captured(owner_client, url)
        assert len(sql) == count, url
        assert not [q for q in sql if "COUNT(" in q.upper()], url


def _walk(client, first: str) -> tuple[list[list[str]], str]:
    """Every page from ``first`` by the Next links; the last page's Previous is returned."""
    pages, url = [], first
    while True:
        response = client.get(url)
        pages.append([o.number for o in response.context["orders"]])
        pager = response.context["pager"]
        if not pager.after:
            return pages, pager.previous_query
        url = f"/orders/?{pager.next_query}"


@pytest.mark.parametrize("sort", list(SORTS))
def test_next_and_previous_visit_every_order_once_with_ties_in_the_sort(
    owner_client, merchant, sort
):
    _make(merchant, 60)
    expected = list(
        Order.objects.filter(merchant=merchant)
        .order_by(*SORTS[sort])
        .values_list("number", flat=True)
    )
    pages, previous = _walk(owner_client, f"/orders/?sort={sort}&per_page=25")
    assert [len(p) for p in pages] == [25, 25, 10]
    assert sum(pages, []) == expected

    back = []  # and back again from the last page
    while previous:
        response = owner_client.get(f"/orders/?{previous}")
        back.insert(0, [o.number for o in response.context["orders"]])
        previous = response.context["pager"].previous_query
    assert back == pages[:-1]


def test_pages_keep_the_filters_search_and_sort_in_their_links(owner_client, merchant):
    _make(merchant, 60)
    make_order(merchant, "X-1", store="Etsy")  # filtered in, searched out
    url = "/orders/?store=Etsy&q=t-0&per_page=25&sort=-total"
    page = owner_client.get(url)
    link = page.context["pager"].next_query
    params = parse_qs(link)
    assert {k: v for k, v in params.items() if k != "after"} == {
        "store": ["Etsy"], "q": ["t-0"], "per_page": ["25"], "sort": ["-total"]
    }  # fmt: skip
    assert f'href="?{link.replace("&", "&amp;")}"' in page.text
    pages, _ = _walk(owner_client, url)
    expected = Order.objects.filter(merchant=merchant, store="Etsy", number__startswith="T-")
    assert [len(p) for p in pages] == [25, 25, 1]
    expected = expected.order_by(*SORTS["-total"])
    assert sum(pages, []) == list(expected.values_list("number", flat=True))


def test_a_mangled_cursor_shows_the_first_page(owner_client, merchant):
    _make(merchant, 30)
    first = [o.number for o in owner_client.get("/orders/").context["orders"]]
    for cursor in ("nonsense", "W10", "WyJ4Il0", "%%%"):
        response = owner_client.get(f"/orders/?after={cursor}")
        assert response.status_code == 200
        assert [o.number for o in response.context["orders"]] == first


def test_select_all_matching_counts_only_when_asked(owner_client, merchant):
    _make(merchant, 30)
    response, sql = _captured(owner_client, "/orders/?store=Etsy&per_page=25&select=all")
    assert response.context["matching"] == 25  # 30 orders, every 7th from Shopify
    assert len([q for q in sql if "COUNT(" in q.upper()]) == 1
    assert "matching this filter" in response.text


def test_select_all_and_bulk_changes_with_a_search_reach_exactly_the_matching_orders(
    owner_client, merchant, outsider_merchant
):
    _make(merchant, 30)  # ten of them to "Ann Lee"
    by_sku = make_order(merchant, "Z-1", recipient_name="Zed", items=0)
    OrderItem.objects.create(order=by_sku, sku="LEE-MUG", name="Mug")
    theirs = make_order(outsider_merchant, "Z-2", recipient_name="Ann Lee")
    page = owner_client.get("/orders/?q=lee&select=all")
    assert page.context["matching"] == 11
    owner_client.post(
        reverse("order-bulk"), {"scope": "filter", "filter": "q=lee", "service": "US-GA"}
    )
    changed = set(Order.objects.filter(service="US-GA").values_list("number", flat=True))
    lees = Order.objects.filter(merchant=merchant, recipient_name="Ann Lee")
    assert changed == {*lees.values_list("number", flat=True), "Z-1"}
    theirs.refresh_from_db()
    assert theirs.service == ""
