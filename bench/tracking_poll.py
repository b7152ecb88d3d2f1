"""Polling 10,000 labels in transit: what ShipDesk costs per label per poll (issue 18).

Target: at most 5 ms of ShipDesk's own time per label per poll, reported with its ratio to the
sandbox's time measured in the same run. The sandbox is served over real HTTP by a threaded
WSGI server in this process and records how long it handles each TrackShipment (from the
request line read to the answer written, bench.labels_batch's span recorder); ShipDesk's time
is the poll's wall time minus the sandbox's. That is everything on ShipDesk's side: reading
the due parcels, zeep building and parsing each SOAP call, the carrier call log, storing new
events once, the shipments' status, the next check, notifications and webhooks.

Two polls are measured: the first finds each parcel a day into its journey (four new events
to store per parcel, status to in transit), the second finds nothing new (the common case).
The query count of a chunk is reported too; it must not grow with the number of parcels.

Run: python -m bench tracking_poll   (TRACKING_BENCH_COUNT=10000 by default)
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from decimal import Decimal

COUNT = int(os.environ.get("TRACKING_BENCH_COUNT", "10000"))
TARGET_MS = 5.0
ZIPS = ["94105", "10001", "60601", "73301", "98101", "33101", "02108", "80202", "85001", "30301"]


def _setup(count: int, bought_at: dt.datetime):
    from bench._store import make_store
    from carriers.stamps.sandbox import api
    from carriers.stamps.sandbox.labels import tracking_number
    from carriers.stamps.sandbox.models import Indicium
    from orders.models import Order
    from shipments.models import DeliveryStatus, Shipment
    from tracking.models import Parcel

    api.reset()
    store = make_store("Bench tracking", "bench-track", balance="10.00")
    merchant, ship_from, account, carrier = (
        store.merchant,
        store.ship_from,
        store.account,
        store.carrier,
    )
    src = {"City": "BROOKLYN", "State": "NY", "ZIPCode": "11201", "Country": "US"}
    numbers = [tracking_number("US-PM", 1_000_000 + n) for n in range(count)]
    step = 2000
    for start in range(0, count, step):
        part = range(start, min(start + step, count))
        # The carrier's side: the labels as the sandbox made them, a day ago.
        Indicium.objects.bulk_create(
            Indicium(
                account=carrier,
                integrator_tx_id=f"bench-{n}",
                stamps_tx_id=uuid.uuid4(),
                tracking_number=numbers[n],
                service_type="US-PM",
                package_type="Package",
                label_category="Domestic",
                postage=Decimal("9.00"),
                rate={
                    "From": src,
                    "To": {
                        "City": "SOMEWHERE",
                        "State": "CA",
                        "ZIPCode": ZIPS[n % len(ZIPS)],
                        "Country": "US",
                    },
                    "ServiceType": "US-PM",
                },
                ship_date=bought_at.date(),
                balance_after=Decimal("10.00"),
                control_total_after=Decimal("10.00"),
                created_at=bought_at,
            )
            for n in part
        )
        orders = Order.objects.bulk_create(
            Order(
                merchant=merchant,
                number=f"T-{n:06d}",
                order_date=bought_at,
                status=Order.Status.SHIPPED,
                recipient_name="Jane Receiver",
                street1=f"{n} Market St",
                city="Somewhere",
                state="CA",
                postal_code=ZIPS[n % len(ZIPS)],
                ship_from=ship_from,
            )
            for n in part
        )
        shipments = Shipment.objects.bulk_create(
            Shipment(
                merchant=merchant,
                order=order,
                account=account,
                ship_from=ship_from,
                service="US-PM",
                service_name="Priority Mail",
                package_type="Package",
                ship_date=bought_at.date(),
                tracking_number=numbers[n],
                status=Shipment.Status.BOUGHT,
                delivery_status=DeliveryStatus.PRE_TRANSIT,
                bought_at=bought_at,
                created_at=bought_at,
            )
            for n, order in zip(part, orders, strict=True)
        )
        Parcel.objects.bulk_create(
            Parcel(merchant=merchant, shipment=s, next_check_at=bought_at) for s in shipments
        )
    return merchant


def _poll(label: str, spans, count: int) -> tuple[float, float, dict]:
    from tracking import polling

    spans.clear()
    started = time.perf_counter()
    result = polling.poll_due()
    wall = time.perf_counter() - started
    time.sleep(0.2)  # the last answer's span is recorded just after it went out
    sandbox = spans.busy()
    own = wall - sandbox
    per_label = own / count * 1000
    print(
        f"{label:<34} {result['polled']} polled, {result['moved']} moved, "
        f"{result['failed']} failed | poll {wall:6.1f} s | sandbox {sandbox:6.1f} s "
        f"({sandbox / count * 1000:.2f} ms/label) | ShipDesk {own:6.1f} s = "
        f"{per_label:.2f} ms/label, {own / sandbox if sandbox else float('inf'):.2f}x the sandbox"
    )
    return per_label, own / sandbox if sandbox else float("inf"), result


def _queries_per_chunk(size: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from tracking import polling
    from tracking.models import Parcel

    due = Parcel.objects.order_by("pk").values_list("pk", flat=True)[:size]
    Parcel.objects.filter(pk__in=list(due)).update(next_check_at=timezone.now())
    with CaptureQueriesContext(connection) as ctx:
        polling.poll_due(limit=size)
    return len(ctx.captured_queries)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipdesk.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.utils import timezone
    from django_q.conf import Conf

    from bench._db import throwaway_db
    from bench._sandbox import Spans, serve_here

    settings.STAMPS_SANDBOX = True
    settings.DEBUG = False
    Conf.SYNC = True  # no worker here: jobs the poll queues (none in transit) run inline
    server = None
    with throwaway_db("bench_tracking_poll"):
        try:
            from carriers.stamps import client as stamps_client
            from tracking.models import Parcel

            spans = Spans()
            server = serve_here(spans, posts_only=True)
            settings.STAMPS_SANDBOX_URL = (
                f"http://127.0.0.1:{server.server_port}/sandbox/stamps/swsim.asmx"
            )
            stamps_client.reset_wsdl_cache()
            now = timezone.now()
            _setup(COUNT, now - dt.timedelta(days=1, hours=1))
            print(f"{COUNT} parcels in transit, one TrackShipment each per poll")
            first, first_ratio, moved = _poll("first poll (4 new events each)", spans, COUNT)
            Parcel.objects.update(next_check_at=timezone.now())
            again, again_ratio, _ = _poll("next poll (nothing new)", spans, COUNT)
            small, large = _queries_per_chunk(100), _queries_per_chunk(400)
            print(f"SQL queries for 100 parcels: {small}, for 400: {large}")
            worst = max(first, again)
            ok = worst <= TARGET_MS and moved["polled"] == COUNT
            print(
                f"ShipDesk {worst:.2f} ms per label per poll (target <= {TARGET_MS:.0f} ms), "
                f"{max(first_ratio, again_ratio):.2f}x the sandbox's time -> "
                f"{'OK' if ok else 'MISSED'}"
            )
            return 0 if ok else 1
        finally:
            if server is not None:
                server.shutdown()
                server.server_close()


if __name__ == "__main__":
    raise SystemExit(main())
