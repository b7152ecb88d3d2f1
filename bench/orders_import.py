"""10,000 CSV orders with 5 automation rules vs a bare bulk_create of the same rows.

DESIGN.md section 6: the import (parse, check every row, group items, run 5 rules, upsert,
log rule changes, report progress) must take at most 3x a bare bulk_create of the same rows
(csv.DictReader, build Order and OrderItem objects, bulk_create both), side by side in one
run. Each round imports into a fresh merchant so both sides create; a re-import (updates)
is timed too, for information.

Run: python -m bench orders_import   (ORDERS_IMPORT_BENCH_COUNT=10000 by default)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import statistics
import time
from decimal import Decimal

ROUNDS = 3
TARGET = 3.0


def make_csv(count: int) -> str:
    from bench._orders_common import CITIES, SKUS
    from orders.importing import COLUMNS

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(label for label, _ in list(COLUMNS.values())[:19])
    for i in range(count):
        name, city, state, postal, country = CITIES[i % len(CITIES)]
        for n in range(1 + (i % 3 == 0)):  # a third of the orders have two items
            writer.writerow(
                [f"IMP-{i:06}", "2026-11-25 10:00", "Shopify", name, "", f"{i} Main St", "",
                 city, state, postal, country, "", f"c{i}@example.com", SKUS[(i + n) % 6],
                 "Thing", str(1 + n), "12.50", "6", "gift" if i % 7 == 0 else ""]
            )  # fmt: skip
    return buffer.getvalue()


def bare_bulk_create(merchant, text: str) -> None:
    from orders.models import Order, OrderItem

    orders: dict[str, Order] = {}
    items = []
    for row in csv.DictReader(io.StringIO(text)):
        number = row["Order Number"]
        order = orders.get(number)
        if order is None:
            order = orders[number] = Order(
                merchant=merchant,
                number=number,
                store=row["Store"],
                order_date=dt.datetime.fromisoformat(row["Order Date"]).replace(tzinfo=dt.UTC),
                recipient_name=row["Recipient Name"],
                street1=row["Address 1"],
                city=row["City"],
                state=row["State"],
                postal_code=row["Postal Code"],
                country=row["Country"],
                email=row["Email"],
                tags=row["Tags"],
            )
        items.append(
            OrderItem(
                order=order,
                sku=row["SKU"],
                name=row["Item Name"],
                quantity=int(row["Quantity"]),
                unit_price=Decimal(row["Unit Price"]),
                weight_oz=Decimal(row["Item Weight (oz)"]),
            )
        )
    Order.objects.bulk_create(orders.values(), batch_size=500)
    for item in items:
        item.order = item.order  # pick up the saved order's pk
    OrderItem.objects.bulk_create(items, batch_size=1000)


def add_rules(merchant) -> None:
    from orders.models import AutomationRule

    specs = [
        ([{"field": "destination", "op": "is", "value": "domestic"}], {"service": "US-GA"}),
        ([{"field": "weight", "op": "gt", "value": "10"}], {"service": "US-PM"}),
        ([{"field": "country", "op": "is", "value": "CA, GB"}], {"service": "US-FCI"}),
        ([{"field": "tag", "op": "is", "value": "gift"}], {"insurance_amount": "50"}),
        (
            [{"field": "sku", "op": "contains", "value": "BATT"}],
            {"service": "US-GA", "dangerous_goods": True, "add_tag": "hazmat"},
        ),
    ]
    for position, (conditions, actions) in enumerate(specs, start=1):
        AutomationRule.objects.create(
            merchant=merchant,
            name=f"Rule {position}",
            position=position,
            conditions=conditions,
            actions=actions,
        )


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipdesk.settings")
    import django

    django.setup()
    from django.conf import settings

    from bench._db import throwaway_db

    count = int(os.environ.get("ORDERS_IMPORT_BENCH_COUNT", "10000"))
    settings.DEBUG = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    failed = 0
    with throwaway_db("bench_orders_import"):
        from orders import importing
        from orders.models import Order, OrderRuleChange
        from tests.factories import make_merchant, make_ship_from

        text = make_csv(count)
        rows = text.count("\n") - 1
        bare_times, import_times, ratios = [], [], []
        for n in range(ROUNDS):
            base = make_merchant(f"Bare {n}", owner_email=f"bare{n}@bench.test")
            started = time.perf_counter()
            bare_bulk_create(base, text)
            bare = time.perf_counter() - started

            merchant = make_merchant(f"Import {n}", owner_email=f"imp{n}@bench.test")
            make_ship_from(merchant)
            add_rules(merchant)
            started = time.perf_counter()
            result = importing.import_csv(merchant, text, progress=lambda done, r: None)
            ours = time.perf_counter() - started
            assert result.created == count and not result.errors, result.errors[:3]
            bare_times.append(bare)
            import_times.append(ours)
            ratios.append(ours / bare)
        changes = OrderRuleChange.objects.filter(order__merchant=merchant).count()
        hazmat = Order.objects.filter(merchant=merchant, dangerous_goods=True).count()
        ratio = statistics.median(ratios)
        verdict = "ok" if ratio <= TARGET else "FAIL"
        print(
            f"{count:,} orders ({rows:,} rows), 5 rules: import median "
            f"{statistics.median(import_times):.2f} s; bare bulk_create median "
            f"{statistics.median(bare_times):.2f} s; ratio {ratio:.2f}x "
            f"(target <= {TARGET}x) {verdict}  [rounds: {', '.join(f'{r:.2f}' for r in ratios)}]"
        )
        print(f"  rule changes logged: {changes:,}; orders set to Dangerous Goods: {hazmat:,}")
        started = time.perf_counter()
        again = importing.import_csv(merchant, text)
        print(
            f"  re-import of the same file: {time.perf_counter() - started:.2f} s, "
            f"{again.updated:,} updated, {again.created} created"
        )
        if ratio > TARGET:
            failed = 1
    return failed
