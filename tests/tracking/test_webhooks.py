"""Webhooks against a real HTTP receiver on 127.0.0.1: signatures, back-off, disabling after
a day of failures, replay, and the address checks that apply when DEBUG is off."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection
from django.utils import timezone

from orders.importing.saving import import_csv
from tests.tracking.factories import make_endpoint
from tracking import webhooks
from tracking.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


class Receiver:
    """Answers each POST with the next status of ``answers`` (then 200) and keeps it."""

    def __init__(self):
        self.answers: list[int] = []
        self.received: list[tuple[dict, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers), body))
                status = outer.answers.pop(0) if outer.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def endpoint(merchant, receiver, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True  # as in development: a receiver on 127.0.0.1
    return make_endpoint(merchant, receiver.url)


def one_delivery(merchant, event="label.bought", payload=None) -> WebhookDelivery:
    webhooks.emit(merchant.pk, event, [payload or {"label": {"id": 7}}])
    return WebhookDelivery.objects.latest("pk")


def test_a_delivery_is_signed_and_verifies(merchant, endpoint, receiver):
    delivery = one_delivery(merchant)
    assert webhooks.deliver(delivery.pk)
    headers, body = receiver.received[0]
    secret = WebhookEndpoint.objects.get(pk=endpoint.pk).secret
    assert webhooks.verify(secret, headers["ShipDesk-Signature"], body, now=time.time())
    assert not webhooks.verify(secret, headers["ShipDesk-Signature"], body + b" ", now=time.time())
    assert not webhooks.verify("whsec_other", headers["ShipDesk-Signature"], body, now=time.time())
    # A captured request replayed later than the tolerance is refused.
    assert not webhooks.verify(secret, headers["ShipDesk-Signature"], body, now=time.time() + 3600)
    event = json.loads(body)
    assert event["type"] == "label.bought" and event["data"] == {"label": {"id": 7}}
    assert headers["ShipDesk-Delivery"] == event["id"]
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 1


def test_failures_back_off_exponentially_then_succeed(merchant, endpoint, receiver):
    receiver.answers = [500, 502, 503]
    delivery = one_delivery(merchant)
    waits = []
    for _ in range(3):
        before = timezone.now()
        assert not webhooks.deliver(delivery.pk)
        delivery.refresh_from_db()
        waits.append(round((delivery.next_attempt_at - before).total_seconds() / 60))
    assert waits == [1, 2, 4]
    assert delivery.last_response == "HTTP 503"
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).failing_since is not None
    assert webhooks.deliver_due() == 0  # not due yet
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5), tick=False):
        assert webhooks.deliver_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 4
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).failing_since is None


def test_a_day_of_failures_disables_the_endpoint_and_tells_the_owner(merchant, endpoint, receiver):
    receiver.answers = [500] * 10
    first = one_delivery(merchant)
    webhooks.deliver(first.pk)
    later = timezone.now() + dt.timedelta(hours=24, minutes=1)
    with time_machine.travel(later, tick=False):
        second = one_delivery(merchant)
        webhooks.deliver(second.pk)
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at is not None
    assert mail.outbox[-1].to == ["owner@acme.test"]
    assert endpoint.url in mail.outbox[-1].body
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"failed"}
    assert one_delivery(merchant, payload={"x": 1}) == second  # nothing new for a disabled one


def test_the_delivery_log_replays_an_event(
    merchant, endpoint, receiver, owner_client, django_capture_on_commit_callbacks
):
    delivery = one_delivery(merchant)
    webhooks.deliver(delivery.pk)
    page = owner_client.get(f"/settings/webhooks/{endpoint.pk}/")
    assert "label.bought" in page.text and "HTTP 200" in page.text
    with pytest.MonkeyPatch.context() as mp:
        from django_q.conf import Conf

        mp.setattr(Conf, "SYNC", True)
        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post(f"/settings/webhooks/deliveries/{delivery.pk}/replay/")
    assert response.status_code == 302
    assert len(receiver.received) == 2
    assert receiver.received[0][1] == receiver.received[1][1]  # the same event, again
    replay = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert replay.replay_of_id == delivery.pk and replay.status == "delivered"


def test_imported_orders_are_announced(merchant, endpoint, receiver):
    csv = (
        "Order Number,Recipient Name,Address 1,City,State,Postal Code,Country,Item Name,"
        "Quantity,Unit Price\n"
        "W-1,Jane Doe,1 Main St,Austin,TX,78701,US,Mug,1,9.00\n"
        "W-2,John Roe,2 Main St,Austin,TX,78701,US,Cup,1,5.00\n"
    )
    import_csv(merchant, csv)
    events = WebhookDelivery.objects.filter(event="order.imported")
    assert sorted(d.payload["order"]["number"] for d in events) == ["W-1", "W-2"]


def test_an_endpoint_only_gets_the_events_it_chose(merchant, receiver, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    make_endpoint(merchant, receiver.url, events=["batch.finished"])
    assert webhooks.emit(merchant.pk, "label.bought", [{"a": 1}]) == 0
    assert webhooks.emit(merchant.pk, "batch.finished", [{"a": 1}]) == 1


@pytest.mark.parametrize(
    "url, why",
    [
        ("http://127.0.0.1:8000/hooks", "https://"),
        ("https://127.0.0.1/hooks", "private or local"),
        ("https://localhost/hooks", "private or local"),
        ("https://10.1.2.3/hooks", "private or local"),
        ("https://192.168.0.10/hooks", "private or local"),
        ("https://169.254.169.254/latest", "private or local"),
        ("https://[::1]/hooks", "private or local"),
    ],
)
def test_with_debug_off_private_loopback_and_plain_http_are_refused(
    url, why, settings, owner_client
):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    response = owner_client.post("/settings/webhooks/", {"url": url, "events": ["label.bought"]})
    assert response.status_code == 200
    assert why in response.text and url.split("/")[2].strip("[]") in response.text
    assert not WebhookEndpoint.objects.exists()


def test_an_address_checked_again_at_send_time(merchant, settings, receiver):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    make_endpoint(merchant, receiver.url)
    delivery = one_delivery(merchant)
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    assert not webhooks.deliver(delivery.pk)
    delivery.refresh_from_db()
    assert "https://" in delivery.last_response and receiver.received == []


def test_adding_an_endpoint_shows_its_secret_once(owner_client, settings, receiver):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    created = owner_client.post(
        "/settings/webhooks/", {"url": receiver.url, "events": ["label.bought"]}
    )
    endpoint = WebhookEndpoint.objects.get()
    # On its way to the page that shows it, the secret waits in the session (the database and
    # Redis): encrypted there like in its own row, never in clear.
    session = json.dumps(Session.objects.get().get_decoded())
    assert str(endpoint.secret) not in session
    other = WebhookEndpoint.objects.create(
        merchant=endpoint.merchant, url=receiver.url, events=["label.bought"]
    )
    # Another endpoint's page, opened first (a second tab), does not use up the secret.
    assert str(endpoint.secret) not in owner_client.get(f"/settings/webhooks/{other.pk}/").text
    response = owner_client.get(created["Location"])
    assert str(endpoint.secret) in response.text
    assert "no-store" in response["Cache-Control"]
    assert str(endpoint.secret) not in owner_client.get(response.request["PATH_INFO"]).text
    with connection.cursor() as cursor:  # stored encrypted
        cursor.execute("SELECT secret FROM tracking_webhookendpoint")
        stored = cursor.fetchone()[0]
    assert str(endpoint.secret) not in stored


@pytest.mark.django_db(transaction=True)
def test_labels_and_tracking_announce_themselves(
    clock, account, make_shippable, merchant, receiver, settings
):
    from shipments import labels, voids
    from shipments.models import Shipment
    from tracking import polling

    settings.WEBHOOKS_ALLOW_PRIVATE = True
    make_endpoint(merchant, receiver.url)
    shipment = labels.buy_label(make_shippable(), account, "US-PM")
    clock.advance(hours=10)
    polling.poll_due()
    voids.void_label(Shipment.objects.select_related("account").get(pk=shipment.pk))
    types = [json.loads(body)["type"] for _, body in receiver.received]
    assert types == ["label.bought", "tracking.updated", "label.voided"]
    update = json.loads(receiver.received[1][1])["data"]
    assert update["tracking"]["status"] == "in_transit"
    assert update["label"]["tracking_number"] == shipment.tracking_number
