"""What the tracking app tells a merchant or a buyer outside a merchant's request (the
webhook worker's e-mail, the public tracking page) is in the store's time, with its zone,
never the server's UTC."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from tests.tracking.factories import make_endpoint, make_parcel
from tracking import webhooks
from tracking.models import TrackingEvent, WebhookDelivery

pytestmark = pytest.mark.django_db

INSTANT = "2026-06-10T14:00:00+00:00"  # 10:00 AM in New York (EDT), 4:00 AM in Honolulu
UTC_SPELLINGS = ("14:00", "2:00 PM", "2:00 p.m.", "UTC")


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def deliver_one(merchant) -> None:
    webhooks.emit(merchant.pk, "label.bought", [{"label": {"id": 7}}])
    webhooks.deliver(WebhookDelivery.objects.latest("pk").pk)


@pytest.mark.clock(INSTANT)
@pytest.mark.parametrize("worker_zone", ["UTC", "Asia/Tokyo"])
def test_the_disabled_webhook_email_says_since_when_in_the_stores_time(
    merchant, settings, worker_zone
):
    settings.WEBHOOKS_ALLOW_PRIVATE = False  # 127.0.0.1 is refused: a failure, no network
    endpoint = make_endpoint(merchant, "https://127.0.0.1/hooks")
    # The worker runs in the server's zone (settings.TIME_ZONE), or whatever it was left in.
    with timezone.override(worker_zone):
        deliver_one(merchant)
        with time_machine.travel(timezone.now() + dt.timedelta(hours=24, minutes=1), tick=False):
            deliver_one(merchant)
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    body = mail.outbox[-1].body
    assert "has failed since Jun 10, 2026 10:00 AM EDT," in body  # the store is in New York
    assert not [text for text in (*UTC_SPELLINGS, "JST", "11:00 PM") if text in body]


@pytest.mark.clock(INSTANT)
def test_the_public_tracking_page_shows_event_times_in_the_stores_zone(merchant):
    merchant.time_zone = "Pacific/Honolulu"
    merchant.save(update_fields=["time_zone"])
    # 3:00 AM UTC on the 12th is still the 11th in Honolulu.
    parcel = make_parcel(merchant, "PUB-TZ", delivery_status="in_transit")
    parcel.expected_delivery = dt.datetime(2026, 6, 12, 3, 0, tzinfo=dt.UTC)
    parcel.save(update_fields=["expected_delivery"])
    TrackingEvent.objects.create(
        parcel=parcel,
        key="accepted",
        occurred_at=timezone.now(),
        status="in_transit",
        description="Accepted at USPS Origin Facility",
    )
    text = Client().get(f"/t/{parcel.token}/").text
    assert "Jun 10, 4:00 AM HST" in text
    assert "expected Thursday, June 11" in text
    assert not [spelling for spelling in UTC_SPELLINGS if spelling in text]
