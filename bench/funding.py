"""Funds: the /funds/ page with a long ledger, and what add_funds adds to the carrier's time.

- Page: median render time of /funds/ (chart, 50 ledger rows, filters) for a merchant with
  1,000 and with 20,000 ledger entries, and its query count, which must not grow with the
  ledger (target: the same count; the time ratio is reported).
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
import tempfile
import time
from decimal import Decimal

PAGE_RUNS = 15
PURCHASES = 30


def _fill_ledger(account, count: int) -> None:
    from funding.models import LedgerEntry

    start = LedgerEntry.objects.filter(account=account).count()
    now = dt.datetime.now(dt.UTC)
    balance = Decimal("0")
    rows = []
    for i in range(start, count):
        amount = Decimal("100.00") if i % 10 == 0 else Decimal("-9.15")
        balance += amount
        rows.append(
            LedgerEntry(
                merchant_id=account.merchant_id,
                account=account,
                kind="purchase" if amount > 0 else "label",
                amount=amount,
                balance_after=balance,
                reference=f"ref-{i}",
                idempotency_key=f"bench-{account.pk}-{i}",
                created_at=now - dt.timedelta(minutes=(count - i) * 5),
            )
        )
    LedgerEntry.objects.bulk_create(rows, batch_size=2000)


def _page(client) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    for _ in range(PAGE_RUNS):
        started = time.perf_counter()
        response = client.get("/funds/")
        times.append(time.perf_counter() - started)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get("/funds/")
    return statistics.median(times) * 1000, len(queries)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipdesk.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test import Client

    from bench.stamps_client import TimedApp, serve

    settings.STAMPS_SANDBOX = True
    settings.DEBUG = False
    tmp = tempfile.TemporaryDirectory()
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = os.path.join(tmp.name, "bench_funding.sqlite3")
    else:
        connection.settings_dict["TEST"]["NAME"] = "bench_funding"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    server = None
    failed = 0
    try:
        from carriers.models import CarrierAccount
        from carriers.stamps import client as stamps_client
        from carriers.stamps.sandbox import api
        from funding import purchases
        from tests.factories import make_merchant

        merchant = make_merchant("Bench Goods", owner_email="bench@bench.test")
        owner = merchant.memberships.get().user
        timed = TimedApp(WSGIHandler())
        server = serve(timed)
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
            before = len(timed.server_times)
            started = time.perf_counter()
            purchases.add_funds(account, Decimal("10"))
            walls.append(time.perf_counter() - started)
            carrier.append(sum(timed.server_times[before:]))
        own = [(w - c) * 1000 for w, c in zip(walls, carrier, strict=True)]
        print(
            f"add_funds: median {statistics.median(walls) * 1000:.1f} ms wall, "
            f"{statistics.median(carrier) * 1000:.1f} ms in the sandbox, "
            f"ShipDesk's own {statistics.median(own):.1f} ms ({PURCHASES} purchases)"
        )

        client = Client()
        client.force_login(owner)
        results = {}
        for size in (1_000, 20_000):
            _fill_ledger(account, size)
            results[size] = _page(client)
            print(
                f"/funds/ with {size:,} ledger entries: median {results[size][0]:.1f} ms, "
                f"{results[size][1]} queries"
            )
        (small_ms, small_q), (big_ms, big_q) = results[1_000], results[20_000]
        if big_q != small_q:
            print("FAIL: the query count grows with the ledger")
            failed = 1
        # Not a target yet: the ledger page's COUNT(*) and sort still grow with the ledger.
        print(f"20x the ledger costs {big_ms / small_ms:.1f}x the page time")
    finally:
        if server is not None:
            server.shutdown()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        tmp.cleanup()
    return failed
