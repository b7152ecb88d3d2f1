"""Parcels followed after the label, their carrier events, the e-mails sent about them, each
store's branding, and webhook endpoints with their delivery log."""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property

from funding.models import Refund
from merchants.crypto import EncryptedTextField
from merchants.models import MerchantOwned
from orders.catalog import Service
from shipments import voids
from shipments.models import DeliveryStatus, Shipment


def new_public_token() -> str:
    # 128 bits: the buyer's link is the only key to the page, so it must not be guessable.
    return secrets.token_urlsafe(16)


class Parcel(MerchantOwned):
    """A label being followed with TrackShipment until it is delivered, returned or too old."""

    class Stop(models.TextChoices):
        DELIVERED = "delivered", "Delivered"
        RETURNED = "returned", "Returned to sender"
        TOO_OLD = "too_old", "No longer tracked (60 days)"
        VOIDED = "voided", "Label voided"

    shipment = models.OneToOneField(Shipment, on_delete=models.CASCADE, related_name="parcel")
    token = models.CharField(max_length=32, unique=True, default=new_public_token)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PRE_TRANSIT
    )
    # NULL once polling stopped; the poller reads the partial index of due parcels only.
    next_check_at = models.DateTimeField(null=True, blank=True)
    stopped = models.CharField(max_length=10, choices=Stop.choices, blank=True)
    checks = models.PositiveIntegerField(default=0)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    expected_delivery = models.DateTimeField(null=True, blank=True)
    destination = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_check_at"],
                condition=models.Q(next_check_at__isnull=False),
                name="parcel_due",
            )
        ]

    def __str__(self) -> str:
        return f"Parcel {self.shipment.tracking_number}"

    @cached_property
    def refund(self) -> Refund | None:
        """A voided label is no longer followed: what its merchant still waits for is the
        refund (R41), so the panel shows that instead of the last scan."""
        if self.stopped != self.Stop.VOIDED:
            return None
        return voids.refund_of(self.shipment)

    @property
    def express_delivered(self) -> bool:
        """USPS refunds a late Priority Mail Express delivery, but only when the shipper asks
        Stamps.com for it (R34): the panel says how once the parcel is delivered."""
        return self.status == DeliveryStatus.DELIVERED and self.shipment.service == Service.EXPRESS


class TrackingEvent(models.Model):
    """One scan as the carrier reported it; stored once (``key``) however often it is read."""

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="events")
    key = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices)
    event_type = models.CharField(max_length=60, blank=True)
    description = models.CharField(max_length=200)
    city = models.CharField(max_length=60, blank=True)
    state = models.CharField(max_length=30, blank=True)
    zip_code = models.CharField(max_length=12, blank=True)
    country = models.CharField(max_length=2, blank=True)
    signed_by = models.CharField(max_length=60, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["parcel", "key"], name="one_row_per_carrier_event")
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.description}"

    @property
    def place(self) -> str:
        return ", ".join(p for p in (self.city.title(), self.state) if p)


class CustomerEmail(models.Model):
    """A customer e-mail about a label: the row is claimed before sending, so each kind goes
    out at most once per label whatever retries or overlapping polls happen."""

    class Kind(models.TextChoices):
        SHIPPED = "shipped", "Shipped"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    to = models.EmailField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shipment", "kind"], name="one_email_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} e-mail to {self.to}"


class EmailOptOut(MerchantOwned):
    """A customer who followed the unsubscribe link of one store's e-mails."""

    email = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "email"], name="one_opt_out_per_email")
        ]


class Branding(MerchantOwned):
    """What customers see of the store: on the tracking page and in its e-mails."""

    display_name = models.CharField(
        "store name shown to customers",
        max_length=80,
        blank=True,
        help_text="Default: your company name",
    )
    logo = models.BinaryField(blank=True, default=b"", editable=False)
    logo_type = models.CharField(max_length=20, blank=True, editable=False)
    primary_color = models.CharField(max_length=7, default="#1f6feb")
    accent_color = models.CharField(max_length=7, default="#0b7a3e")
    shipped_subject = models.CharField(
        max_length=120, default="Your order {order_number} has shipped"
    )
    shipped_message = models.TextField(
        default="Hello {customer_name}, your order {order_number} from {store_name} is on its way."
    )
    out_for_delivery_subject = models.CharField(
        max_length=120, default="Your order {order_number} is out for delivery"
    )
    out_for_delivery_message = models.TextField(
        default="Hello {customer_name}, your order {order_number} arrives today."
    )
    delivered_subject = models.CharField(
        max_length=120, default="Your order {order_number} was delivered"
    )
    delivered_message = models.TextField(
        default="Hello {customer_name}, your order {order_number} was delivered. Thank you for "
        "shopping with {store_name}!"
    )
    footer = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="one_branding_per_merchant")
        ]

    @classmethod
    def get_for(cls, merchant) -> Branding:
        merchant_id = getattr(merchant, "pk", merchant)
        return cls.objects.filter(merchant_id=merchant_id).first() or cls(merchant_id=merchant_id)


class WebhookEndpoint(MerchantOwned):
    """An HTTPS address of the merchant's own system that receives signed events."""

    EVENTS = (
        ("order.imported", "An order was imported"),
        ("label.bought", "A label was bought"),
        ("label.voided", "A label was voided"),
        ("tracking.updated", "A parcel's tracking changed"),
        ("batch.finished", "A label batch finished"),
    )

    url = models.URLField("URL", max_length=300)
    events = models.JSONField(default=list)
    secret = EncryptedTextField(editable=False)
    is_active = models.BooleanField(default=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(MerchantOwned):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(default=uuid.uuid4)
    event = models.CharField(max_length=30)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    last_response = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhook_due",
            )
        ]
