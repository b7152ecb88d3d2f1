"""Issue 21: the shipments list pages by keyset: no COUNT of the labels, the same queries for
3 labels and 60, and Next/Previous visit every label once even when many were bought in the
same instant (a batch)."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shipments.models import Shipment
from tests.shipments.factories import make_shipment


def _make(merchant, start: int, count: int) -> None:
    instant = timezone.now().replace(microsecond=0)
    for i in range(start, start + count):
        # Three labels to each instant: ties in the list's sort key.
        make_shipment(merchant, f"S-{i:03}", created_at=instant - dt.timedelta(minutes=i // 3))


def _sql(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_the_list_never_counts_and_its_queries_do_not_grow_with_the_labels(owner_client, merchant):
    urls = ["/shipments/", "/shipments/?q=9205", "/shipments/?status=bought"]
    _make(merchant, 0, 3)
    few = [len(_sql(owner_client, url)) for url in urls]
    _make(merchant, 3, 57)
    second = owner_client.get("/shipments/").context["page"].next_query
    for url, count in zip([*urls, f"/shipments/?{second}"], [*few, few[0]], strict=True):
        sql = _sql(owner_client, url)
        assert len(sql) == count, url
        assert not [q for q in sql if "COUNT(" in q.upper()], url


def test_next_and_previous_visit_every_label_once(owner_client, merchant):
    _make(merchant, 0, 60)
    expected = list(
        Shipment.objects.filter(merchant=merchant)
        .order_by("-created_at", "-pk")
        .values_list("order__number", flat=True)
    )
    pages, url = [], "/shipments/?status=bought"
    while url:
        response = owner_client.get(url)
        pages.append([s.order.number for s in response.context["page"]])
        page = response.context["page"]
        url = f"/shipments/?{page.next_query}" if page.after else ""
    assert [len(p) for p in pages] == [50, 10]
    assert sum(pages, []) == expected
    assert "status=bought&amp;before=" in response.text  # the Previous link keeps the filter
    back = owner_client.get(f"/shipments/?{page.previous_query}")
    assert [s.order.number for s in back.context["page"]] == pages[0]
    assert not back.context["page"].before
