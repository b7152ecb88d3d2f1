"""The order search the list runs can use the pg_trgm GIN indexes of orders/0008 (PostgreSQL
only: SQLite has no trigram index and scans, see README "Scaling").

Django's ``icontains`` on PostgreSQL is ``UPPER("col"::text) LIKE UPPER('%term%')``; the
indexes are on that expression. If the lookup or an index changes so they no longer match,
PostgreSQL cannot use the index even when told to avoid every other way, and this fails."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_order

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram indexes exist only on PostgreSQL (CI=true)"
)


def plan_of_list_search(client, url: str) -> str:
    """EXPLAIN of the exact page query the view ran, with scans that skip indexes off."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    sql = next(q["sql"] for q in queries.captured_queries if "LIKE" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def many_orders(merchant):
    for i in range(150):
        make_order(merchant, f"W-{i:04}", recipient_name=f"Person {i}", email=f"p{i}@example.com")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
        cursor.execute("ANALYZE orders_orderitem")


def test_the_list_search_uses_a_trigram_index_on_every_field_it_searches(owner_client, many_orders):
    plan = plan_of_list_search(owner_client, "/orders/?q=w-0042")
    for index in (
        "orders_order_number_trgm",
        "orders_order_recipient_trgm",
        "orders_order_email_trgm",
        "orders_item_sku_trgm",
    ):
        assert f"Bitmap Index Scan on {index}" in plan, plan
