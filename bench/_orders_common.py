"""Shared by the orders benchmarks: bulk demo data.

The demo data looks like a real shop's, so substring search is measured on realistic
selectivity: about 18,000 name combinations, e-mails made of them, 800 SKUs, one USPS
tracking number per shipped order. On PostgreSQL the rows go in with COPY (a million orders
in about a minute); on SQLite through bulk_create.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

CITIES = [
    ("Jane Doe", "San Francisco", "CA", "94105", "US"),
    ("Tom Becker", "Chicago", "IL", "60606", "US"),
    ("Aisha Patel", "New York", "NY", "10118", "US"),
    ("Liam MacDonald", "Toronto", "ON", "M5V 2T6", "CA"),
    ("Olivia Smith", "London", "", "SW1A 2AA", "GB"),
    ("SGT Mark Davis", "APO", "AP", "96278", "US"),
]
SKUS = ["MUG-11", "TEE-BLK-M", "CARD-SET", "CANDLE-CED", "BATT-18650", "KIT-POUR"]

FIRST_NAMES = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Carlos",
    "Karen",
    "Aisha",
    "Nancy",
    "Liam",
    "Lisa",
    "Noah",
    "Betty",
    "Olivia",
    "Sandra",
    "Emma",
    "Ashley",
    "Mateo",
    "Kimberly",
    "Sofia",
    "Emily",
    "Hiro",
    "Donna",
    "Priya",
    "Michelle",
    "Omar",
    "Carol",
    "Chloe",
    "Amanda",
    "Lucas",
    "Melissa",
    "Mia",
    "Deborah",
    "Ethan",
    "Stephanie",
    "Zoe",
    "Rebecca",
    "Ivan",
    "Laura",
    "Fatima",
    "Helen",
    "Diego",
    "Sharon",
    "Grace",
    "Cynthia",
    "Yuki",
    "Kathleen",
    ").split()",
]
SURNAME_HEADS = "Mar Ben Kol Sta Ver Lin Dor Hal Ric Tam Fer Gold Win Ash Bro Cal Del Har Mon Pet"
SURNAME_TAILS = "son ley ton ski ford man ez ini berg wood field stein well ova ard"
SURNAMES = [h + t for h in SURNAME_HEADS.split() for t in SURNAME_TAILS.split()]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "proton.me"]
PRODUCTS = [
    "MUG",
    "TEE",
    "HOODIE",
    "CARD",
    "CANDLE",
    "POSTER",
    "TOTE",
    "CAP",
    "SOCKS",
    "PIN",
    "STICKER",
    "JOURNAL",
    "PRINT",
    "SCARF",
    "APRON",
    "BEANIE",
    "PATCH",
    "KEYRING",
    "COASTER",
    "BLANKET",
    ").split()",
]
COLORS = ["BLK", "WHT", "NVY", "RED", "GRN", "GRY", "PNK", "OAT"]
SIZES = ["XS", "S", "M", "L", "XL"]
CATALOG = [f"{p}-{c}-{s}" for p in PRODUCTS for c in COLORS for s in SIZES]  # 800 SKUs
PLACES = [city[1:] for city in CITIES]


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


# -- realistic shops, in bulk -------------------------------------------------------------


def recipient(i: int) -> tuple[str, str]:
    """The name and e-mail of order ``i``'s buyer (a deterministic spread, no RNG state)."""
    first = FIRST_NAMES[(i * 7919) % len(FIRST_NAMES)]
    last = SURNAMES[(i * 104729 // 7) % len(SURNAMES)]
    email = f"{first.lower()}.{last.lower()}{i % 997}@{DOMAINS[i % len(DOMAINS)]}"
    return f"{first} {last}", email


def order_number(prefix: str, i: int) -> str:
    return f"{prefix}{1_000_000 + i}"


def tracking_number(merchant_id: int, i: int) -> str:
    """A 22-digit USPS-style number (9400 1 + 17 digits), distinct per merchant and order."""
    return f"94001{(merchant_id * 10_000_000 + i) * 7_919 % 10**17:017}"


def sku_of(i: int, n: int) -> str:
    return CATALOG[(i * 31 + n * 17 + i // 800) % len(CATALOG)]


def fill_shop(
    merchant, account, count: int, *, prefix: str = "SD-", shipments: bool = True
) -> None:
    """``count`` orders of a shop over the last ~2 years, one or two items each, and a bought
    label (with a tracking number) for every shipped one. Order ``i`` is ``i`` minutes old."""
    from orders.models import Order, OrderItem
    from shipments.models import Shipment

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    order_id = _next_id(Order)
    item_id = _next_id(OrderItem)
    shipment_id = _next_id(Shipment)

    def orders() -> Iterator[dict[str, Any]]:
        for i in range(count):
            name, email = recipient(i)
            city, state, postal, country = PLACES[i % len(PLACES)]
            yield {
                "id": order_id + i,
                "merchant_id": merchant.pk,
                "number": order_number(prefix, i),
                "store": ("Shopify", "Etsy", "Wholesale")[i % 3],
                "order_date": now - dt.timedelta(minutes=i),
                "status": _status(i),
                "recipient_name": name,
                "street1": f"{i % 9000 + 1} Main St",
                "city": city,
                "state": state,
                "postal_code": postal,
                "country": country,
                "email": email,
                "total": Decimal(10 + i % 90),
                "tags": "gift" if i % 11 == 0 else "",
                "created_at": now - dt.timedelta(minutes=i),
                "updated_at": now,
            }

    def items() -> Iterator[dict[str, Any]]:
        n = 0
        for i in range(count):
            for k in range(1 + (i % 3 == 0)):
                yield {
                    "id": item_id + n,
                    "order_id": order_id + i,
                    "sku": sku_of(i, k),
                    "name": "Thing",
                    "unit_price": Decimal("12.50"),
                }
                n += 1

    def labels() -> Iterator[dict[str, Any]]:
        n = 0
        for i in range(count):
            if _status(i) != "shipped":
                continue
            bought = now - dt.timedelta(minutes=i - 30)
            yield {
                "id": shipment_id + n,
                "merchant_id": merchant.pk,
                "order_id": order_id + i,
                "account_id": account.pk,
                "integrator_tx_id": f"bench-{merchant.pk}-{i}",
                "tracking_number": tracking_number(merchant.pk, i),
                "service": "US-GA",
                "service_name": "USPS Ground Advantage",
                "package_type": "Package",
                "amount": Decimal("5.25"),
                "postage": Decimal("5.25"),
                "ship_date": bought.date(),
                "status": "bought",
                "created_at": bought,
                "bought_at": bought,
                "to_name": recipient(i)[0],
            }
            n += 1

    bulk_insert(Order, orders())
    bulk_insert(OrderItem, items())
    if shipments:
        bulk_insert(Shipment, labels())


def _status(i: int) -> str:
    if i % 5 == 0:
        return "shipped"
    return "on_hold" if i % 17 == 0 else "cancelled" if i % 23 == 0 else "awaiting_shipment"


def _next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def bulk_insert(model, rows: Iterable[dict[str, Any]], batch: int = 5000) -> None:
    """Insert ``rows`` (attname -> value; the model's defaults for the rest): COPY on
    PostgreSQL with the table's secondary indexes dropped and rebuilt once afterwards (much
    faster than updating GIN indexes row by row), bulk_create elsewhere."""
    from django.db import connection

    if connection.vendor != "postgresql":
        buffer = []
        for row in rows:
            buffer.append(model(**row))
            if len(buffer) >= batch:
                model.objects.bulk_create(buffer)
                buffer = []
        model.objects.bulk_create(buffer)
        return
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    rows = itertools.chain([first], rows)
    # The primary key only when given (the orders are, so their items can point at them).
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in first]
    defaults = {
        f.attname: f.get_db_prep_save(f.get_default(), connection)
        for f in fields
        if f.has_default() or f.null or f.blank
    }
    table = model._meta.db_table
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cursor:
        # Secondary indexes that no constraint stands on: dropped, rebuilt after the load.
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = %s::regclass AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row.get(f.attname, defaults.get(f.attname)) for f in fields])
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'(SELECT max(id) FROM "{table}"))'
        )
        cursor.execute(f'ANALYZE "{table}"')
    raw.commit() if not raw.autocommit else None
