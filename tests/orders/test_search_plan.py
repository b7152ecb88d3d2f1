"""The order search the list runs can use the pg_trgm GIN indexes of orders/0008 (PostgreSQL
only: SQLite has no trigram index and scans, see README "Scaling").

Django's ``icontains`` on PostgreSQL is ``UPPER("col"::text) LIKE UPPER('%term%')``; the
indexes are on that expression. If the lookup or an index changes so they no longer match,
PostgreSQL cannot use the index even when told to avoid every other way, and this fails."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, OrderItem
from tests.factories import admin_url, make_order

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram indexes exist only on PostgreSQL (CI=true)"
)


def plan_of_list_search(client, url: str, tables: list[str], keep: tuple[str, ...] = ()) -> str:
    """EXPLAIN of the exact page query the view ran, with nothing but the primary keys and
    the trigram indexes (and those named starting with one of ``keep``: the join keys a
    search across tables goes through) left on ``tables``.

    On a test's few thousand rows PostgreSQL would rather read the merchant's rows through
    the merchant index and filter them (at a million it seeks the trigram indexes, see
    ``python -m bench orders_list``). With whole-table (and whole-index) scans off and the
    other indexes set aside (inside the test's transaction, rolled back after it), it must
    still answer every condition from a trigram index: it cannot if the expression drifted."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    sql = next(q["sql"] for q in queries.captured_queries if "LIKE" in q["sql"])
    return explain_with_only_indexes([sql], tables, keep)[0]


def explain_with_only_indexes(
    statements: list[str], tables: list[str], keep: tuple[str, ...] = ()
) -> list[str]:
    """EXPLAIN of each statement with whole-table and whole-index scans off and, on
    ``tables``, no index left but the primary keys, the trigram (GIN) indexes and those
    named starting with one of ``keep`` (set aside inside the test's transaction, rolled
    back after it). A table the plan still reads whole shows the cost PostgreSQL gives a
    path it was told to avoid (``read_whole``): it had no other."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks block ALTER
        cursor.execute(
            "SELECT c.relname, i.indexrelid::regclass::text, k.conname FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indrelid "
            "JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_am a ON a.oid = x.relam "
            "LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid "
            "WHERE c.relname = ANY(%s) AND NOT i.indisprimary AND a.amname <> 'gin'",
            [tables],
        )
        for table, index, constraint in cursor.fetchall():
            if index.strip('"').startswith(keep):
                continue
            if constraint:
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{constraint}"')
            else:
                cursor.execute(f"DROP INDEX {index}")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")  # nor whole indexes read in order
        plans = []
        for sql in statements:
            cursor.execute(f"EXPLAIN {sql}")
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
        return plans


def admin_search_plans(client, model, term: str, keep: tuple[str, ...]) -> list[str]:
    """``explain_with_only_indexes`` of every statement the admin's list page of ``model``
    ran on its table for a search of ``term``, only the indexes named in ``keep`` (and the
    primary key) left on it. None may read the table with no condition at all: that is the
    "(N total)" count of every row beside the search's own (``show_full_result_count``)."""
    table = model._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        assert client.get(admin_url(model, "changelist"), {"q": term}).status_code == 200
    statements = [q["sql"] for q in queries.captured_queries if f'FROM "{table}"' in q["sql"]]
    assert statements, f"the search read nothing from {table}"
    assert not [sql for sql in statements if " WHERE " not in sql], statements
    return explain_with_only_indexes(statements, [table], keep)


def read_whole(plan: str, table: str) -> list[str]:
    """The lines of ``plan`` that read ``table`` by a path PostgreSQL was told to avoid
    (cost 10000000000): a sequential scan of every row, or a whole index read in order."""
    return [line for line in plan.splitlines() if "cost=10000000000" in line and table in line]


TABLES = ["orders_order", "orders_orderitem"]


@pytest.fixture
def many_orders(merchant):
    """Enough rows that a seek beats reading the merchant's orders, as in a real shop."""
    make_order(merchant, "W-0000")  # the rest in bulk, with their items
    template = Order.objects.get(merchant=merchant)
    orders = []
    for i in range(1, 3000):
        template.pk, template.number = None, f"W-{i:04}"
        template.recipient_name, template.email = f"Person {i}", f"p{i}@example.com"
        orders.append(
            Order(**{f.attname: getattr(template, f.attname) for f in Order._meta.concrete_fields})
        )
    Order.objects.bulk_create(orders)
    OrderItem.objects.bulk_create(
        OrderItem(order_id=pk, sku=f"SKU-{pk}", name="Thing")
        for pk in Order.objects.filter(merchant=merchant).values_list("pk", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
        cursor.execute("ANALYZE orders_orderitem")


def test_the_list_search_uses_a_trigram_index_on_every_field_it_searches(owner_client, many_orders):
    plan = plan_of_list_search(owner_client, "/orders/?q=w-0042", TABLES)
    for index in (
        "orders_order_number_trgm",
        "orders_order_recipient_trgm",
        "orders_order_email_trgm",
        "orders_item_sku_trgm",
    ):
        assert f"Bitmap Index Scan on {index}" in plan, plan
