"""Webhooks: signed events POSTed to the merchant's own HTTPS endpoints.

Each event is a WebhookDelivery row (the delivery log) created when the event happens and
sent by a job; a failed send is retried with exponential back-off (1, 2, 4 ... minutes, at
most 2 hours apart). An endpoint that has failed for a whole day is disabled and its owners
are e-mailed. The body is signed with HMAC-SHA256 over "<timestamp>.<body>" (see README).

Outbound requests go only to public addresses over HTTPS, checked when the endpoint is saved
and again before every send (an address may resolve elsewhere later), unless
WEBHOOKS_ALLOW_PRIVATE (development and tests).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from merchants.models import Membership, Merchant
from tracking.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

EVENTS = [name for name, _ in WebhookEndpoint.EVENTS]
SIGNATURE_HEADER = "ShipDesk-Signature"
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_WAIT = dt.timedelta(hours=2)
DISABLE_AFTER = dt.timedelta(days=1)


class EndpointRefused(ValueError):
    """The URL may not receive webhooks; the message says why, in the merchant's words."""


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def check_url(url: str) -> None:
    """Refuse plain HTTP and addresses inside private networks (SSRF), unless allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise EndpointRefused("Enter a full web address, such as https://example.com/hooks.")
    if settings.WEBHOOKS_ALLOW_PRIVATE:
        return
    if parts.scheme != "https":
        raise EndpointRefused("Webhook addresses must start with https://.")
    try:
        port = parts.port or 443
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, ValueError, UnicodeError) as exc:
        raise EndpointRefused(f"{parts.hostname} could not be found.") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            raise EndpointRefused(
                f"{parts.hostname} points to a private or local network address "
                f"({address}); webhooks go to public internet addresses only."
            )


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, now: float, tolerance: int = 300) -> bool:
    """What a receiver does (README: Webhooks); used by the tests as the receiver."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))


def body_of(delivery: WebhookDelivery) -> bytes:
    event = {
        "id": str(delivery.event_id),
        "type": delivery.event,
        "created": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(event, sort_keys=True, separators=(",", ":")).encode()


def subscribed(merchant_id: int, event: str) -> list[WebhookEndpoint]:
    return [
        e
        for e in WebhookEndpoint.objects.filter(merchant_id=merchant_id, is_active=True)
        if event in e.events
    ]


def merchants_listening(merchant_ids: set[int], event: str = "tracking.updated") -> set[int]:
    """Which of these stores has an active endpoint for ``event`` (one query): a poll builds
    payloads only for them, since most stores have no webhooks."""
    if not merchant_ids:
        return set()
    rows = WebhookEndpoint.objects.filter(merchant_id__in=merchant_ids, is_active=True).values_list(
        "merchant_id", "events"
    )
    return {merchant_id for merchant_id, events in rows if event in events}


def emit(merchant_id: int, event: str, payloads: list[dict]) -> int:
    """One delivery per subscribed active endpoint and payload, sent after commit."""
    endpoints = subscribed(merchant_id, event)
    if not endpoints or not payloads:
        return 0
    rows = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(merchant_id=merchant_id, endpoint=e, event=event, payload=p)
            for e in endpoints
            for p in payloads
        ]
    )
    ids = [r.pk for r in rows]
    transaction.on_commit(lambda: _queue(ids))
    return len(rows)


def _queue(ids: list[int]) -> None:
    from django_q.tasks import async_task

    for pk in ids:
        async_task("tracking.webhooks.deliver", pk, cluster=settings.Q_SHORT_CLUSTER)


def backoff(attempts: int) -> dt.timedelta:
    return min(FIRST_RETRY * 2 ** max(0, attempts - 1), LONGEST_WAIT)


def deliver(delivery_id: int) -> bool:
    """Send one delivery now; on failure schedule the next attempt."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("endpoint")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return False
        # Claimed until the answer is in: an overlapping sweep leaves it alone.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            next_attempt_at=timezone.now() + dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT + 60)
        )
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        _give_up(delivery, "The endpoint is disabled.")
        return False
    body = body_of(delivery)
    try:
        check_url(endpoint.url)
        answer = requests.post(
            endpoint.url,
            data=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "ShipDesk-Webhooks/1",
                "ShipDesk-Event": delivery.event,
                "ShipDesk-Delivery": str(delivery.event_id),
                SIGNATURE_HEADER: sign(endpoint.secret, int(time.time()), body),
            },
            timeout=settings.WEBHOOK_TIMEOUT,
            allow_redirects=False,  # a redirect could lead anywhere, private networks too
        )
        ok = 200 <= answer.status_code < 300
        outcome = f"HTTP {answer.status_code}"
    except EndpointRefused as exc:
        ok, outcome = False, str(exc)
    except requests.RequestException as exc:
        ok, outcome = False, f"Could not connect: {type(exc).__name__}"
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_response = outcome[:200]
    if ok:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save(
        update_fields=["attempts", "last_response", "status", "delivered_at", "next_attempt_at"]
    )
    if not ok:
        _failed(endpoint, now)
    return ok


def _give_up(delivery: WebhookDelivery, why: str) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.FAILED, next_attempt_at=None, last_response=why[:200]
    )


def _failed(endpoint: WebhookEndpoint, now: dt.datetime) -> None:
    """Start or extend the endpoint's failure streak; after a day of it, disable it."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    since = WebhookEndpoint.objects.values_list("failing_since", flat=True).get(pk=endpoint.pk)
    if since is None or now - since < DISABLE_AFTER:
        return
    disabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_at=now
    )
    if not disabled:
        return
    WebhookDelivery.objects.filter(
        endpoint_id=endpoint.pk, status=WebhookDelivery.Status.PENDING
    ).update(
        status=WebhookDelivery.Status.FAILED,
        next_attempt_at=None,
        last_response="Not sent: the endpoint was disabled.",
    )
    owners = list(
        Membership.objects.filter(
            merchant_id=endpoint.merchant_id, role=Membership.Role.OWNER
        ).values_list("user__email", flat=True)
    )
    # Sent by the worker, whose zone is the server's: the store's is named here.
    zone = Merchant.objects.get(pk=endpoint.merchant_id).zone
    send_mail(
        "ShipDesk disabled a webhook endpoint",
        f"Every delivery to {endpoint.url} has failed since "
        f"{since.astimezone(zone):%b %-d, %Y %-I:%M %p %Z}, so ShipDesk stopped sending to it.\n\n"
        "Check that the address is up and answers with a 2xx status, then turn it back on in "
        "Settings > Webhooks; you can replay missed events from its delivery log.",
        None,
        [e for e in owners if e],
    )


def deliver_due(limit: int = 500) -> int:
    """The scheduled job: every pending delivery whose attempt is due."""
    due = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=timezone.now(),
            endpoint__is_active=True,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        deliver(pk)
    return len(due)


def replay(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send an event again (same event id, so the receiver can tell it is the same event)."""
    copy = WebhookDelivery.objects.create(
        merchant_id=delivery.merchant_id,
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        event=delivery.event,
        payload=delivery.payload,
        created_at=delivery.created_at,
        replay_of=delivery,
    )
    transaction.on_commit(lambda: _queue([copy.pk]))
    return copy


# ---- payloads ------------------------------------------------------------------------------


def label_payload(shipment) -> dict:
    return {
        "label": {
            "id": shipment.pk,
            "order_number": shipment.order.number,
            "tracking_number": shipment.tracking_number,
            "service": shipment.service,
            "amount": str(shipment.amount),
            "refunded": str(shipment.refunded),
            "ship_date": shipment.ship_date.isoformat(),
            "status": shipment.status,
            "delivery_status": shipment.delivery_status,
            # A prepaid return label (R46) and the label whose parcel it brings back.
            "is_return": shipment.return_of_id is not None,
            "return_of": shipment.return_of_id,
        }
    }


def emit_tracking(parcel) -> None:
    shipment = parcel.shipment
    latest = parcel.events.order_by("-occurred_at", "-pk").first()
    data = label_payload(shipment)
    data["label"]["delivery_status"] = parcel.status
    data["tracking"] = {
        "status": parcel.status,
        "expected_delivery": parcel.expected_delivery.isoformat()
        if parcel.expected_delivery
        else None,
        "latest_event": {
            "at": latest.occurred_at.isoformat(),
            "description": latest.description,
            "place": latest.place,
        }
        if latest
        else None,
    }
    emit(parcel.merchant_id, "tracking.updated", [data])
