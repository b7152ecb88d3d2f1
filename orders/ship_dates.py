"""The ship date an order's label gets when bought now: one rule for the order page, batches
and the order API, so none of them can promise a day the carrier won't accept (R31, R43)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from locations.shipping_day import local_today, ship_date_for
from orders.models import Order


def order_today(order: Order, now: dt.datetime | None = None) -> dt.date:
    """Today where the parcel leaves from: the ship-from ZIP's local date (R43), else the
    store's own time zone."""
    if order.ship_from:
        return local_today(order.ship_from, now)
    return timezone.localdate(now, timezone=order.merchant.zone)


def default_ship_date(
    order: Order, now: dt.datetime | None = None, *, cutoff: dt.time | None = None
) -> dt.date:
    """The ship date a label bought now gets unless the merchant picks another: after the
    location's cut-off (``cutoff`` when the caller read it already), the next shipping day
    (R31, R43)."""
    if order.ship_from:
        return ship_date_for(order.ship_from, now, cutoff=cutoff)
    return order_today(order, now)


def ship_dates(orders: Iterable[Order], now: dt.datetime | None = None) -> dict[int, dt.date]:
    """``default_ship_date`` for many orders, asking each location's cut-off once."""
    now = now or timezone.now()
    by_location: dict[int | None, dt.date] = {}
    found = {}
    for order in orders:
        key = order.ship_from_id
        if key is None or key not in by_location:
            by_location[key] = default_ship_date(order, now)
        found[order.pk] = by_location[key]
    return found
