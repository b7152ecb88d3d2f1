"""Funds: the /funds/ page with a long ledger, and what add_funds adds to the carrier's time.

- Page (issue 21): median render time of /funds/ (balance chart, cards, 50 ledger rows,
  filters) for a merchant with LEDGER_BENCH_COUNT entries (default 100,000 on PostgreSQL,
  20,000 on SQLite) against one with 1,000, both in the same database and timed
  interleaved: target <= 1.2x, and the same query count. Both ledgers span the same days
  (1,000 entries or 100,000 over a year), so the 90-day chart window of the big one holds
  a hundred times the rows: the chart must not read them all.
- add_funds: median wall time of ``add_funds`` against the sandbox served over HTTP in this
  process, minus the sandbox's own server time for the PurchasePostage call: ShipDesk's part
  (reserve, the zeep call, the ledger entry and the call log).

Uses a throwaway database (SQLite file under a temporary directory, or a test database on
PostgreSQL). Run: python -m bench funding
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from decimal import Decimal

PAGE_RUNS = 10
PURCHASES = 30
TARGET = 1.2
SMALL = 1_000
SPAN = dt.timedelta(days=365)


def _fill_ledger(account, count: int) -> None:
    """``count`` entries spread evenly over the last year, in bulk (COPY on PostgreSQL)."""
    from bench._orders_common import bulk_insert
    from funding.models import LedgerEntry

    now = dt.datetime.now(dt.UTC)
    step = SPAN / count

    def rows():
        balance = Decimal("0")
        for i in range(count):
            amount = Decimal("100.00") if i % 10 == 0 else Decimal("-9.15")
            balance += amount
            yield {
                "merchant_id": account.merchant_id,
                "account_id": account.pk,
                "kind": "purchase" if amount > 0 else "label",
                "amount": amount,
                "balance_after": balance,
                "reference": f"ref-{i}",
                "idempotency_key": f"bench-{account.pk}-{i}",
                "created_at": now - SPAN + step * i,
            }

    bulk_insert(LedgerEntry, rows())


def _time(client) -> float:
    started = time.perf_counter()
    response = client.get("/funds/")
    assert response.status_code == 200
    return (time.perf_counter() - started) * 1000


def _queries(client) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get("/funds/")
    return [q["sql"] for q in queries.captured_queries]


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipdesk.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from bench._db import throwaway_db
    from bench._sandbox import Spans, serve_here

    settings.STAMPS_SANDBOX = True
    settings.DEBUG = False
    postgres = connection.vendor == "postgresql"
    server = None
    failed = 0
    with throwaway_db("bench_funding"):
        try:
            from carriers.models import CarrierAccount
            from carriers.stamps import client as stamps_client
            from carriers.stamps.sandbox import api
            from funding import purchases
            from tests.factories import make_merchant

            merchant = make_merchant("Bench Goods", owner_email="bench@bench.test")
            spans = Spans()
            server = serve_here(spans, posts_only=True)
            settings.STAMPS_SANDBOX_URL = (
                f"http://127.0.0.1:{server.server_port}/sandbox/stamps/swsim.asmx"
            )
            stamps_client.reset_wsdl_cache()
            api.reset()
            api.create_account("bench-funds", "Bench1234", balance=Decimal("0"))
            account = CarrierAccount.objects.create(
                merchant=merchant, nickname="Bench", username="bench-funds", password="Bench1234"
            )

            purchases.add_funds(account, Decimal("10"))  # warm-up: WSDL, token, first inserts
            walls, carrier = [], []
            for _ in range(PURCHASES):
                before = spans.count()
                started = time.perf_counter()
                purchases.add_funds(account, Decimal("10"))
                walls.append(time.perf_counter() - started)
                carrier.append(spans.total(before))
            own = [(w - c) * 1000 for w, c in zip(walls, carrier, strict=True)]
            print(
                f"add_funds: median {statistics.median(walls) * 1000:.1f} ms wall, "
                f"{statistics.median(carrier) * 1000:.1f} ms in the sandbox, "
                f"ShipDesk's own {statistics.median(own):.1f} ms ({PURCHASES} purchases)"
            )

            count = int(os.environ.get("LEDGER_BENCH_COUNT", "100000" if postgres else "20000"))
            clients = {}
            for size in (SMALL, count):
                shop = make_merchant(f"Ledger {size}", owner_email=f"ledger{size}@bench.test")
                book = CarrierAccount.objects.create(
                    merchant=shop, nickname="Main", username=f"ledger-{size}", password="Bench1234"
                )
                started = time.perf_counter()
                _fill_ledger(book, size)
                print(f"{size:,} ledger entries in {time.perf_counter() - started:.1f} s")
                clients[size] = Client()
                clients[size].force_login(shop.memberships.get().user)
            small, big = clients[SMALL], clients[count]
            small_q, big_q = _queries(small), _queries(big)
            print(
                f"/funds/ queries: {len(small_q)} with {SMALL:,} entries, "
                f"{len(big_q)} with {count:,}."
            )
            if len(big_q) != len(small_q):
                print("FAIL: the query count grows with the ledger")
                failed = 1
            for _ in range(3):  # warm-up
                _time(small), _time(big)
            # Interleaved, so a busy neighbour on a shared machine slows both sides alike.
            pairs = [(_time(small), _time(big)) for _ in range(PAGE_RUNS * 2)]
            small_ms = statistics.median(s for s, _ in pairs)
            big_ms = statistics.median(b for _, b in pairs)
            ratio = statistics.median(b / s for s, b in pairs)
            verdict = "ok" if ratio <= TARGET else "FAIL"
            print(
                f"/funds/ with {count:,} ledger entries: median {big_ms:.1f} ms; with {SMALL:,}: "
                f"{small_ms:.1f} ms; ratio {ratio:.2f}x (target <= {TARGET}x) {verdict}"
            )
            failed |= ratio > TARGET
            if postgres:
                for sql in [q for q in big_q if "generate_series" in q][:1]:
                    with connection.cursor() as cursor:
                        cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {sql}")
                        plan = "\n".join(r[0] for r in cursor.fetchall())
                    print(f"EXPLAIN ANALYZE of the balance chart's query:\n{plan}")
        finally:
            if server is not None:
                server.shutdown()
    return failed
