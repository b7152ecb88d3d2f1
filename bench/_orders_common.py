"""Shared by the orders benchmarks: a throwaway database and bulk demo data."""

from __future__ import annotations

import datetime as dt
import os
import random
import tempfile
from contextlib import contextmanager
from decimal import Decimal

CITIES = [
    ("Jane Doe", "San Francisco", "CA", "94105", "US"),
    ("Tom Becker", "Chicago", "IL", "60606", "US"),
    ("Aisha Patel", "New York", "NY", "10118", "US"),
    ("Liam MacDonald", "Toronto", "ON", "M5V 2T6", "CA"),
    ("Olivia Smith", "London", "", "SW1A 2AA", "GB"),
    ("SGT Mark Davis", "APO", "AP", "96278", "US"),
]
SKUS = ["MUG-11", "TEE-BLK-M", "CARD-SET", "CANDLE-CED", "BATT-18650", "KIT-POUR"]


@contextmanager
def throwaway_db(name: str):
    """A fresh test database (SQLite file in a temp dir, or a test DB on PostgreSQL)."""
    from django.db import connection

    tmp = tempfile.TemporaryDirectory()
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = os.path.join(tmp.name, f"{name}.sqlite3")
    else:
        connection.settings_dict["TEST"]["NAME"] = name
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        tmp.cleanup()


def fill_orders(merchant, count: int, start: int = 0, seed: int = 7) -> None:
    """``count`` orders with one or two items each, in bulk."""
    from orders.models import Order, OrderItem

    rng = random.Random(seed + start)
    now = dt.datetime.now(dt.UTC)
    batch = 5000
    for offset in range(start, start + count, batch):
        orders = []
        for i in range(offset, min(offset + batch, start + count)):
            name, city, state, postal, country = CITIES[i % len(CITIES)]
            orders.append(
                Order(
                    merchant=merchant,
                    number=f"B-{i:07}",
                    store=("Shopify", "Etsy", "Wholesale")[i % 3],
                    order_date=now - dt.timedelta(minutes=i),
                    status="awaiting_shipment" if i % 5 else "shipped",
                    recipient_name=name,
                    street1=f"{i} Main St",
                    city=city,
                    state=state,
                    postal_code=postal,
                    country=country,
                    email=f"c{i}@example.com",
                    total=Decimal("25.00"),
                    tags="gift" if i % 11 == 0 else "",
                )
            )
        Order.objects.bulk_create(orders)
        OrderItem.objects.bulk_create(
            OrderItem(order=o, sku=rng.choice(SKUS), name="Thing", unit_price=Decimal("25.00"))
            for o in orders
        )
