"""R13's "at most N a day" counts the store's day, whatever zone the process runs in: the
worker that checks auto-funding (funding.jobs, a purchase's follow-up) runs on the server's
UTC, not in a merchant's request."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from funding.auto_funding import automatic_purchases_today
from funding.models import PostagePurchase
from tests.factories import make_carrier_account

pytestmark = pytest.mark.django_db

INSTANT = "2026-06-10T18:00:00+00:00"  # 8:00 AM in Honolulu (HST, UTC-10, no summer time)


@pytest.fixture
def honolulu_account(merchant):
    merchant.time_zone = "Pacific/Honolulu"
    merchant.save(update_fields=["time_zone"])
    account = make_carrier_account(merchant, is_default=True)
    PostagePurchase.objects.create(
        merchant=merchant,
        account=account,
        amount=Decimal("50.00"),
        status=PostagePurchase.Status.SUCCESS,
        automatic=True,
    )
    return account


@pytest.mark.clock(INSTANT)
@pytest.mark.parametrize("worker_zone", ["UTC", "Asia/Tokyo"])
def test_R13_the_daily_limit_counts_the_stores_day_not_the_workers(honolulu_account, worker_zone):
    bought = timezone.now()
    counted = {}
    # 3:00 PM and 11:00 PM the same day in Honolulu (already the next day in UTC and in
    # Tokyo), then midnight in Honolulu: a new day.
    for hours_later in (7, 15, 16):
        later = bought + dt.timedelta(hours=hours_later)
        with timezone.override(worker_zone), time_machine.travel(later, tick=False):
            counted[hours_later] = automatic_purchases_today(honolulu_account)
    assert counted == {7: 1, 15: 1, 16: 0}
