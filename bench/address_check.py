"""What the ship-to check (CleanseAddress, R37a) costs in carrier round trips.

Through the real rates view (Django's test client, in this process) against the sandbox over
real HTTP (a threaded WSGI server in this process), for ORDERS orders with a misspelled street:
open the order (its rates show), refresh the rates REFRESHES times with a changed package,
edit the address once and open the rates again, then buy a label. Counted from the carrier
call log. Targets (issue 15): at most 1 CleanseAddress per address version (the first view and
each edit), 0 per rate refresh and 0 at purchase when the address has not changed.

Run: python -m bench address_check   (returns non-zero when a target is missed)
"""

from __future__ import annotations

import statistics
from decimal import Decimal

ORDERS = 10
REFRESHES = 5


def main() -> int:
    from django.conf import settings
    from django.core.cache import cache
    from django.db.models import Avg

    from bench._db import throwaway_db
    from bench._sandbox import Spans, serve_here

    settings.STAMPS_SANDBOX = True
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    with throwaway_db("bench_address_check"):
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.urls import reverse
        from django.utils import timezone

        from carriers.models import CarrierAccount, CarrierCall
        from carriers.stamps import client as stamps_client
        from carriers.stamps.sandbox import api
        from locations.models import ShipFromLocation
        from merchants.models import Membership, Merchant
        from orders.models import Order
        from shipments import labels

        server = serve_here(Spans())
        try:
            settings.STAMPS_SANDBOX_URL = (
                f"http://127.0.0.1:{server.server_port}/sandbox/stamps/swsim.asmx"
            )
            settings.STAMPS_WSDL_URL = settings.STAMPS_SERVICE_URL = ""
            stamps_client.reset_wsdl_cache()
            cache.clear()
            api.reset()
            api.create_account("bench-addr", "Bench1234", balance=Decimal("5000"))
            user = get_user_model().objects.create_user("owner@bench.test", "owner@bench.test")
            merchant = Merchant.objects.create(name="Bench")
            Membership.objects.create(merchant=merchant, user=user, role=Membership.Role.OWNER)
            account = CarrierAccount.objects.create(
                merchant=merchant,
                nickname="Bench",
                username="bench-addr",
                password="Bench1234",
                balance=Decimal("5000"),
                is_default=True,
            )
            ship_from = ShipFromLocation.objects.create(
                merchant=merchant,
                name="Warehouse",
                contact_name="Pat Shipper",
                street1="100 Main St",
                city="Brooklyn",
                state="NY",
                postal_code="11201",
                phone="7185550100",
                is_default=True,
            )
            web = Client()
            web.force_login(user)
            views, refreshes, edits, buys = [], [], [], []

            def cleanses() -> int:
                return CarrierCall.objects.filter(operation="CleanseAddress").count()

            for i in range(ORDERS):
                order = Order.objects.create(
                    merchant=merchant,
                    number=f"A-{i:04}",
                    order_date=timezone.now(),
                    recipient_name="Jane Receiver",
                    street1=f"{2400 + i * 2} N Clrak St",
                    city="Chicgo",
                    state="IL",
                    postal_code="60614",
                    ship_from=ship_from,
                    service="US-PM",
                    weight_lb=1,
                )
                url = reverse("shipments:rates", args=[order.pk])
                before = cleanses()
                web.get(url)
                views.append(cleanses() - before)
                before = cleanses()
                for n in range(REFRESHES):
                    web.get(url, {"weight_lb": "1", "weight_oz": str(n + 1), "package_type": ""})
                refreshes.append(cleanses() - before)
                before = cleanses()
                order.street1 = f"{2500 + i * 2} N Clark St"
                order.save()
                web.get(url)
                web.get(url)
                edits.append(cleanses() - before)
                before = cleanses()
                order.refresh_from_db()
                labels.buy_label(order, account, "US-PM")
                buys.append(cleanses() - before)
            cleanse_ms = (
                CarrierCall.objects.filter(operation="CleanseAddress").aggregate(
                    avg=Avg("duration_ms")
                )["avg"]
                or 0
            )
        finally:
            server.shutdown()
            server.server_close()
    print(
        f"{ORDERS} orders: CleanseAddress calls per first view {statistics.mean(views):.1f}, "
        f"per {REFRESHES} rate refreshes {statistics.mean(refreshes):.1f}, per address edit "
        f"(viewed twice) {statistics.mean(edits):.1f}, per purchase {statistics.mean(buys):.1f}; "
        f"mean CleanseAddress round trip {cleanse_ms:.1f} ms"
    )
    ok = max(views) <= 1 and max(edits) <= 1 and max(refreshes) == 0 and max(buys) == 0
    print("at most 1 call per address version, none per refresh or purchase ->", end=" ")
    print("OK" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
