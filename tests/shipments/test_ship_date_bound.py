"""The server refuses ship dates beyond a week ahead, whatever the page offered (issue 13)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from shipments import batches, labels
from shipments.models import Batch, Shipment
from tests.factories import make_carrier_account, make_order, make_ship_from

# Every test starts at the night it travels to, so a client signed in by a fixture stays signed in.
pytestmark = [pytest.mark.django_db, pytest.mark.clock("2026-11-25T23:00:00-05:00")]

# 11 pm in New York on Nov 25 is already Nov 26 in UTC: "today" is the location's day.
NIGHT_IN_NEW_YORK = dt.datetime(2026, 11, 25, 23, 0, tzinfo=ZoneInfo("America/New_York"))


@pytest.fixture
def order(merchant):
    return make_order(merchant, "F-1", ship_from=make_ship_from(merchant), service="US-PM")


@pytest.mark.parametrize("day", [dt.date(2026, 12, 3), dt.date(2030, 1, 1), dt.date(2099, 12, 31)])
def test_a_label_dated_beyond_a_week_is_refused(merchant, order, day):
    account = make_carrier_account(merchant)
    with (
        time_machine.travel(NIGHT_IN_NEW_YORK, tick=False),
        pytest.raises(labels.LabelError, match="at most 7 days ahead"),
    ):
        labels.buy_label(order, account, "US-PM", day)
    assert not Shipment.objects.exists()


def test_the_latest_day_follows_the_location_time_zone():
    with time_machine.travel(NIGHT_IN_NEW_YORK, tick=False):
        today = labels.order_today(make_order_stub())
    assert today == dt.date(2026, 11, 25)
    assert labels.latest_ship_date(today) == dt.date(2026, 12, 2)


def make_order_stub():
    from locations.models import ShipFromLocation
    from orders.models import Order

    return Order(ship_from=ShipFromLocation(postal_code="11201", state="NY"))


@pytest.mark.parametrize("day", [dt.date(2026, 12, 3), dt.date(2030, 1, 1)])
def test_a_batch_dated_beyond_a_week_is_refused(merchant, order, day):
    account = make_carrier_account(merchant)
    with (
        time_machine.travel(NIGHT_IN_NEW_YORK, tick=False),
        pytest.raises(batches.BatchError, match="at most 7 days ahead"),
    ):
        batches.create_batch(merchant, [order.pk], account, day)
    assert not Batch.objects.exists()


def test_the_batch_page_refuses_a_far_ship_date(owner_client, merchant, order):
    make_carrier_account(merchant)
    with time_machine.travel(NIGHT_IN_NEW_YORK, tick=False):
        response = owner_client.post(
            reverse("shipments:batches"), {"order": [order.pk], "ship_date": "2030-01-01"},
            follow=True,
        )  # fmt: skip
    assert "at most 7 days ahead" in response.text
    assert not Batch.objects.exists()
