"""End-of-day fixtures: locations in several time zones, labels, and the sandbox."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shipments.models import Shipment
from tests.factories import make_order, make_ship_from

UTC = dt.UTC
# November 2026: Thu 5, Fri 6, Sat 7, Sun 8, Mon 9.
THU, FRI, SAT, SUN, MON = (dt.date(2026, 11, d) for d in (5, 6, 7, 8, 9))
# The tests travel within that week; they start on its Wednesday, so a client signed in by a
# fixture is still signed in when a test moves to Thursday or Saturday.
THAT_WEEK = "2026-11-04T15:00:00+00:00"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def place(merchant):
    """A ship-from location in a time zone, with a ZIP there (the carrier reads the ZIP)."""
    zips = {
        "America/New_York": ("Brooklyn", "NY", "11201"),
        "America/Los_Angeles": ("Los Angeles", "CA", "90012"),
        "Pacific/Honolulu": ("Honolulu", "HI", "96813"),
        "America/Chicago": ("Chicago", "IL", "60601"),
    }

    def make(time_zone: str = "America/New_York", **overrides):
        city, state, zip_code = zips[time_zone]
        fields = {
            "name": f"Dock {city}",
            "city": city,
            "state": state,
            "postal_code": zip_code,
            "time_zone": time_zone,
            "is_default": False,
        }
        fields.update(overrides)
        return make_ship_from(merchant, **fields)

    return make


@pytest.fixture
def label(merchant):
    """A bought label row (no carrier call) for an account and a location."""
    counter = iter(range(1, 10_000))

    def make(account, location, ship_date, **overrides) -> Shipment:
        n = next(counter)
        order = make_order(merchant, f"E-{n}", ship_from=location, status="shipped")
        fields = {
            "merchant": merchant,
            "order": order,
            "account": account,
            "ship_from": location,
            "service": "US-PM",
            "package_type": "Package",
            "weight_oz": Decimal("20.0"),
            "ship_date": ship_date,
            "tracking_number": f"92055110000000000{n:05d}",
            "stamps_tx_id": f"00000000-0000-0000-0000-{n:012d}",
            "status": Shipment.Status.BOUGHT,
        }
        fields.update(overrides)
        return Shipment.objects.create(**fields)

    return make


@pytest.fixture
def stamps(sandbox):
    """The shared sandbox (files in a temporary folder, jobs inline), its clock unpinned after."""
    yield sandbox
    sandbox.set_clock(None)


@pytest.fixture
def account(sandbox_account):
    return sandbox_account("eod-pro", balance="500", nickname="Main postage")
