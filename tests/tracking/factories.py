"""Builders for parcels and webhook endpoints (no carrier calls)."""

from __future__ import annotations

from merchants.models import Merchant
from tests.shipments.factories import make_shipment
from tracking import webhooks
from tracking.models import Parcel, WebhookDelivery, WebhookEndpoint


def make_parcel(merchant: Merchant, number: str = "P-1", **shipment_fields) -> Parcel:
    shipment = make_shipment(merchant, number, **shipment_fields)
    return Parcel.objects.create(merchant=merchant, shipment=shipment)


def make_endpoint(merchant: Merchant, url: str = "https://hooks.example.com/in", **fields):
    fields.setdefault("events", [name for name, _ in WebhookEndpoint.EVENTS])
    return WebhookEndpoint.objects.create(
        merchant=merchant, url=url, secret=webhooks.new_secret(), **fields
    )


def make_delivery(merchant: Merchant) -> WebhookDelivery:
    endpoint = make_endpoint(merchant)
    return WebhookDelivery.objects.create(
        merchant=merchant, endpoint=endpoint, event="label.bought", payload={"x": 1}
    )
