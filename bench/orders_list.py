"""The order list of a merchant with 100,000 orders vs a bare view of the same 50 rows.

DESIGN.md section 6: /orders/ must render in at most 2x the time of a bare Django view that
renders the same 50 rows from one query, measured in the same run, and its query count must
not grow with the page size or the number of orders. Both views go through the same
middleware (session, auth, merchant), with the same signed-in client.

Run: python -m bench orders_list   (ORDERS_BENCH_COUNT=100000 by default)
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import types

RUNS = 10
TARGET = 2.0


def _bare_urlconf(merchant_id: int) -> types.ModuleType:
    """The project's URLs plus /bench/bare/: one query, a plain template, nothing else."""
    from django.http import HttpResponse
    from django.template import engines
    from django.urls import include, path

    from orders.models import Order

    template = engines["django"].from_string(
        "<!doctype html><table>{% for o in orders %}<tr><td>{{ o.number }}</td>"
        "<td>{{ o.order_date|date:'M j, Y' }}</td><td>{{ o.recipient_name }}</td>"
        "<td>{{ o.city }}, {{ o.state }} {{ o.country }}</td><td>{{ o.service }}</td>"
        "<td>${{ o.total }}</td><td>{{ o.get_status_display }}</td></tr>{% endfor %}</table>"
    )

    def bare(request):
        rows = list(
            Order.objects.filter(merchant_id=merchant_id).order_by("-order_date", "-pk")[:50]
        )
        return HttpResponse(template.render({"orders": rows}))

    module = types.ModuleType("bench_orders_urls")
    module.__dict__["urlpatterns"] = [path("bench/bare/", bare), path("", include("shipdesk.urls"))]
    sys.modules[module.__name__] = module
    return module


def _time(client, url: str) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times) * 1000


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipdesk.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from bench._orders_common import fill_orders, throwaway_db

    count = int(os.environ.get("ORDERS_BENCH_COUNT", "100000"))
    settings.DEBUG = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    failed = 0
    with throwaway_db("bench_orders_list"):
        from tests.factories import make_merchant

        merchant = make_merchant("Bench Orders", owner_email="orders@bench.test")
        settings.ROOT_URLCONF = _bare_urlconf(merchant.pk).__name__
        client = Client()
        client.force_login(merchant.memberships.get().user)

        fill_orders(merchant, 1_000)
        small = {n: _queries(client, f"/orders/?per_page={n}") for n in (25, 50, 100)}
        started = time.perf_counter()
        fill_orders(merchant, count - 1_000, start=1_000)
        print(f"{count:,} orders created in {time.perf_counter() - started:.1f} s")
        from django.db import connection

        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        big = {n: _queries(client, f"/orders/?per_page={n}") for n in (25, 50, 100)}
        print(f"queries by page size with 1,000 orders: {small}; with {count:,}: {big}")
        if len(set(small.values()) | set(big.values())) != 1:
            print("FAIL: the query count grows with page size or order count")
            failed = 1

        _time(client, "/bench/bare/"), _time(client, "/orders/")  # warm-up
        # Interleaved, so a busy neighbour on a shared machine slows both sides alike.
        pairs = [(_time(client, "/bench/bare/"), _time(client, "/orders/")) for _ in range(4)]
        bare = statistics.median(b for b, _ in pairs)
        page = statistics.median(p for _, p in pairs)
        ratio = statistics.median(p / b for b, p in pairs)
        verdict = "ok" if ratio <= TARGET else "FAIL"
        print(
            f"/orders/ (50 rows of {count:,}): median {page:.1f} ms; bare view {bare:.1f} ms; "
            f"ratio {ratio:.2f}x (target <= {TARGET}x) {verdict}"
        )
        if ratio > TARGET:
            failed = 1
        for label, url in [
            ("status filter", "/orders/?status=awaiting_shipment"),
            ("country filter", "/orders/?country=CA"),
            ("page 50", "/orders/?page=50"),
            ("htmx fragment", "/orders/?status=shipped"),
            ("search (scans)", "/orders/?q=B-0099"),
        ]:
            headers = {"HX-Request": "true"} if label == "htmx fragment" else {}
            times = []
            for _ in range(5):
                started = time.perf_counter()
                client.get(url, headers=headers)
                times.append(time.perf_counter() - started)
            print(f"  {label}: median {statistics.median(times) * 1000:.1f} ms ({url})")
    return failed
