"""Labels (shipments), batches of labels, and each merchant's shipping settings."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from carriers.models import CarrierAccount
from locations.models import ShipFromLocation
from merchants.models import MerchantOwned
from orders.models import Order

ZERO = Decimal("0.00")
# R14: a label can be voided for a refund this long after it was bought.
VOID_WINDOW = dt.timedelta(days=28)


def new_integrator_tx_id() -> str:
    return str(uuid.uuid4())


class ShippingSettings(MerchantOwned):
    """Per-merchant label and notification preferences."""

    class Layout(models.TextChoices):
        LABEL_4X6 = "4x6", "4 x 6 in label printer"
        LETTER = "letter", "8.5 x 11 in, two labels a page"

    notify_customers = models.BooleanField("e-mail customers their tracking number", default=True)
    # R29: off by default; USPS does not track First-Class Mail International end to end.
    share_fci_tracking = models.BooleanField(
        "include First-Class Mail International tracking numbers in notifications",
        default=False,
    )
    layout = models.CharField(max_length=8, choices=Layout.choices, default=Layout.LABEL_4X6)
    packing_slip = models.BooleanField("print a packing slip with each label", default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="one_shipping_settings_per_merchant")
        ]

    def __str__(self) -> str:
        return f"Shipping settings of {self.merchant}"

    @classmethod
    def get_for(cls, merchant) -> ShippingSettings:
        """The merchant's settings (unsaved defaults when never changed)."""
        merchant_id = getattr(merchant, "pk", merchant)
        found = cls.objects.filter(merchant_id=merchant_id).first()
        return found or cls(merchant_id=merchant_id)


class Batch(MerchantOwned):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Creating labels"
        DONE = "done", "Done"

    MAX_ORDERS = 500

    account = models.ForeignKey(CarrierAccount, on_delete=models.PROTECT, related_name="+")
    ship_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Moved on by the worker after each order: a stale heartbeat means the worker died.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveSmallIntegerField(default=0)
    combined_pdf = models.FileField(upload_to="batches/", blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Batch {self.pk} ({self.total} orders)"

    @property
    def finished(self) -> bool:
        return self.status == self.Status.DONE


class BatchItem(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        BOUGHT = "bought", "Label created"
        FAILED = "failed", "Failed"

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="items")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True)
    shipment = models.ForeignKey(
        "Shipment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "order"], name="one_item_per_order_in_batch")
        ]
        indexes = [models.Index(fields=["batch", "status"])]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.order_id}: {self.status}"


class DeliveryStatus(models.TextChoices):
    PRE_TRANSIT = "pre_transit", "Label created, not yet scanned"
    IN_TRANSIT = "in_transit", "In transit"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    DELIVERED = "delivered", "Delivered"
    EXCEPTION = "exception", "Delivery problem"
    RETURNED = "returned", "Returned to sender"


class Shipment(MerchantOwned):
    """One label. Saved with its IntegratorTxID *before* CreateIndicium is called (R28), so a
    retry after a timeout or a crash sends the same id and the carrier answers the same label."""

    class Status(models.TextChoices):
        BUYING = "buying", "Buying"
        BOUGHT = "bought", "Label created"
        # Saved before CancelIndicium is sent: the carrier may refund without ShipDesk
        # hearing the answer, so the void is re-sent (harmless at the carrier) until it is
        # recorded or the carrier refuses it.
        VOIDING = "voiding", "Voiding"
        VOIDED = "voided", "Voided"
        FAILED = "failed", "Failed"

    LIVE = ("buying", "bought", "voiding")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="shipments")
    account = models.ForeignKey(CarrierAccount, on_delete=models.PROTECT, related_name="shipments")
    batch = models.ForeignKey(
        Batch, null=True, blank=True, on_delete=models.SET_NULL, related_name="shipments"
    )
    # Where the label was printed from, fixed at purchase (the order's location may change
    # later). SCAN forms and pickups go by it. PROTECT: USPS has labels with that address,
    # so a location with labels is kept rather than silently forgotten.
    ship_from = models.ForeignKey(
        ShipFromLocation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shipments",
    )
    integrator_tx_id = models.CharField(max_length=64, unique=True, default=new_integrator_tx_id)
    stamps_tx_id = models.CharField(max_length=64, blank=True, db_index=True)
    tracking_number = models.CharField(max_length=40, blank=True, db_index=True)
    service = models.CharField(max_length=12, help_text="SWSIM ServiceType, e.g. US-PM")
    service_name = models.CharField(max_length=80, blank=True)
    package_type = models.CharField(max_length=30)
    weight_oz = models.DecimalField(max_digits=8, decimal_places=1, default=ZERO)
    length_in = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    width_in = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    height_in = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    add_ons = models.JSONField(default=list, blank=True)
    cubic_tier = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    label_category = models.CharField(max_length=30, blank=True)
    delivery_days = models.CharField(max_length=10, blank=True)
    postage = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    amount = models.DecimalField(
        max_digits=10, decimal_places=2, default=ZERO, help_text="Postage and add-ons charged"
    )
    refunded = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    ship_date = models.DateField()
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.BUYING, db_index=True
    )
    failure = models.TextField(blank=True)
    label_pdf = models.FileField(upload_to="labels/%Y/%m/", blank=True)
    carrier_label_url = models.URLField(max_length=300, blank=True)
    to_name = models.CharField(max_length=100, blank=True)
    to_country = models.CharField(max_length=2, default="US")
    notified_at = models.DateTimeField(null=True, blank=True)
    # Where the parcel is, as the carrier last said (kept up to date by the tracking app);
    # on the label itself so the list can show and filter it from its own query.
    delivery_status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, blank=True, db_index=True
    )
    last_scan_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    bought_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    bought_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A prepaid return label (R46): the buyer sends the parcel of ``return_of`` back to the
    # store's ``return_to`` location. It has no ``ship_from`` (the buyer mails it), so SCAN
    # forms and pickups, which go by the ship-from location, never take it.
    return_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="returns"
    )
    return_to = models.ForeignKey(
        ShipFromLocation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    return_expires_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One outbound label in flight, bought or being voided per order: a second "Buy"
            # resumes the first.
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(
                    status__in=["buying", "bought", "voiding"], return_of__isnull=True
                ),
                name="one_live_shipment_per_order",
            ),
            # And one return label per outbound label (R46): a second "Create" resumes it.
            models.UniqueConstraint(
                fields=["return_of"],
                condition=models.Q(status__in=["buying", "bought", "voiding"]),
                name="one_live_return_per_label",
            ),
        ]
        indexes = [models.Index(fields=["merchant", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.service} {self.tracking_number or self.integrator_tx_id}"

    @property
    def is_return(self) -> bool:
        return self.return_of_id is not None

    @property
    def is_international(self) -> bool:
        return self.to_country != "US"

    @property
    def tracking_url(self) -> str:
        if not self.tracking_number:
            return ""
        return f"https://tools.usps.com/go/TrackConfirmAction?tLabels={self.tracking_number}"

    @property
    def void_deadline(self):
        return (self.bought_at or self.created_at) + VOID_WINDOW
