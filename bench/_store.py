"""A store ready to buy labels, for the benchmarks (and the scale test's engine): a merchant,
its ship-from location, and a Stamps.com carrier account holding ``balance``, with the same
account and balance at the sandbox."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# Deliverable destinations (the sandbox matches a ZIP code outside its street directory on
# its state, so each ZIP goes with its own state).
PLACES = [
    ("94105", "San Francisco", "CA"),
    ("10001", "New York", "NY"),
    ("60601", "Chicago", "IL"),
    ("78701", "Austin", "TX"),
    ("98101", "Seattle", "WA"),
    ("33101", "Miami", "FL"),
    ("02108", "Boston", "MA"),
    ("80202", "Denver", "CO"),
    ("85001", "Phoenix", "AZ"),
    ("30301", "Atlanta", "GA"),
]


@dataclass
class Store:
    merchant: Any
    ship_from: Any
    account: Any  # carriers.models.CarrierAccount
    carrier: Any  # the sandbox's own record of the account


def make_store(
    name: str,
    username: str,
    *,
    balance: Decimal | int | str,
    password: str = "Bench1234",
) -> Store:
    from carriers.models import CarrierAccount
    from carriers.stamps.sandbox import api
    from locations.models import ShipFromLocation
    from merchants.models import Merchant

    balance = Decimal(balance)
    carrier = api.create_account(username, password, plan="pro", balance=balance)
    merchant = Merchant.objects.create(name=name, slug=Merchant.unique_slug_for(name))
    ship_from = ShipFromLocation.objects.create(
        merchant=merchant,
        name="Main",
        contact_name="Pat Shipper",
        street1="100 Main St",
        city="Brooklyn",
        state="NY",
        postal_code="11201",
        is_default=True,
    )
    account = CarrierAccount.objects.create(
        merchant=merchant,
        nickname=username,
        username=username,
        password=password,
        plan=CarrierAccount.Plan.PRO_FREE,
        balance=balance,
        is_default=True,
    )
    return Store(merchant, ship_from, account, carrier)


def make_orders(store: Store, count: int, prefix: str, *, varied: bool = True) -> list[Any]:
    """``count`` open orders with a service chosen. ``varied``: ZIP codes, services and
    weights differ from order to order (rates are then not all one cache entry); else every
    order is the same 1 lb 4 oz Priority Mail parcel to San Francisco."""
    from django.utils import timezone

    from orders.models import Order

    now = timezone.now()
    return Order.objects.bulk_create(
        Order(
            merchant=store.merchant,
            number=f"{prefix}{n:05d}",
            order_date=now,
            recipient_name="Jane Receiver",
            street1=f"{n + 1} Market St",
            city=PLACES[n % len(PLACES) if varied else 0][1],
            state=PLACES[n % len(PLACES) if varied else 0][2],
            postal_code=PLACES[n % len(PLACES) if varied else 0][0],
            ship_from=store.ship_from,
            service=("US-GA" if n % 2 else "US-PM") if varied else "US-PM",
            weight_lb=n % 5 if varied else 1,
            weight_oz=Decimal(1 + n % 15) if varied else Decimal(4),
        )
        for n in range(count)
    )
