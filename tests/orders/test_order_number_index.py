"""The support console's cross-merchant order search looks orders up by number alone, so the
number needs an index of its own (the per-merchant unique constraint leads with merchant)."""

from __future__ import annotations

import pytest
from django.db import connection

from orders.models import Order


@pytest.mark.django_db
def test_order_search_by_number_across_merchants_uses_an_index():
    if connection.vendor != "sqlite":
        pytest.skip("reads SQLite's query plan")
    query = Order.objects.filter(number__in=["1001", "#1001"]).only("number").query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "INDEX" in plan and "SCAN orders_order" not in plan, plan
