"""The shipments search the list runs can use the tracking-number trigram index of
shipments/0007 and the order-number one of orders/0008 (PostgreSQL only; see
tests/orders/test_search_plan.py for why this would fail if lookup and index drifted)."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.orders.test_search_plan import plan_of_list_search
from tests.shipments.factories import make_shipment

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram indexes exist only on PostgreSQL (CI=true)"
)


def test_the_shipments_search_uses_the_tracking_and_order_number_indexes(owner_client, merchant):
    for i in range(40):
        make_shipment(merchant, f"T-{i:03}", tracking_number=f"94001{i:017}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE shipments_shipment")
        cursor.execute("ANALYZE orders_order")
    tables = ["shipments_shipment", "orders_order"]
    url = "/shipments/?q=0000000000012"
    plan = plan_of_list_search(owner_client, url, tables, keep=("shipments_shipment_order_id",))
    assert "Bitmap Index Scan on shipments_tracking_trgm" in plan, plan
    assert "Bitmap Index Scan on orders_order_number_trgm" in plan, plan
