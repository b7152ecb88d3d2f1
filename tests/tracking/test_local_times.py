"""What the tracking app tells a merchant outside a merchant's request (the webhook
worker's e-mail) is in the store's time, with its zone, never the server's UTC."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from tests.tracking.factories import make_endpoint
from tracking import webhooks
from tracking.models import WebhookDelivery

pytestmark = pytest.mark.django_db

INSTANT = "2026-06-10T14:00:00+00:00"  # 10:00 AM in New York (EDT), 4:00 AM in Honolulu
UTC_SPELLINGS = ("14:00", "2:00 PM", "2:00 p.m.", "UTC")


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
