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


class PrintLayout(models.TextChoices):
    """How labels print: every one is the carrier's own image in that format (R39)."""

    LABEL_4X6 = "4x6", "4 x 6 in PDF (label printer)"
    LETTER = "letter", "8.5 x 11 in PDF, two labels a page"
    PNG = "png", "PNG image"
    ZPL = "zpl", "ZPL for thermal printers (203 dpi)"


class ShippingSettings(MerchantOwned):
    """Per-merchant label and notification preferences."""

    Layout = PrintLayout

    class Slips(models.TextChoices):
        INTERLEAVED = "interleaved", "after each label"
        SEPARATE = "separate", "all together, after the labels"

    class SortOrder(models.TextChoices):
        ORDER = "order", "order number"
        SKU = "sku", "SKU"
        SHIP_TO = "ship_to", "ship-to name"

    notify_customers = models.BooleanField("e-mail customers their tracking number", default=True)
    # R29: off by default; USPS does not track First-Class Mail International end to end.
    share_fci_tracking = models.BooleanField(
        "include First-Class Mail International tracking numbers in notifications",
        default=False,
    )
    layout = models.CharField(
        "label format", max_length=8, choices=Layout.choices, default=Layout.LABEL_4X6
    )
    packing_slip = models.BooleanField("print a packing slip with each label", default=False)
    slips = models.CharField(
        "packing slips print", max_length=12, choices=Slips.choices, default=Slips.INTERLEAVED
    )
    sort_order = models.CharField(
        "print batches sorted by", max_length=8, choices=SortOrder.choices, default=SortOrder.ORDER
    )

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


class UserPrintPreference(MerchantOwned):
    """One person's own label format at one store (their desk's printer), over the store's."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    layout = models.CharField(
        "my label format",
        max_length=8,
        choices=PrintLayout.choices,
        blank=True,
        help_text="Leave blank to use the store's format.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "user"], name="one_print_pref_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.merchant_id}: {self.layout or 'store default'}"


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
    # Which runner of which run took the item (shipments.batches): several runners, on any
    # long-jobs cluster, buy one batch's items at once and each item is taken by one of them.
    # A later run (a resume, a retry) takes over a claim an earlier run left behind.
    claim_run = models.PositiveSmallIntegerField(null=True, blank=True)
    runner = models.CharField(max_length=120, blank=True)

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


# SWSIM add-on codes as the merchant knows them (Other Shipping Options).
ADD_ON_LABELS = {
    "US-A-DC": "USPS Tracking",
    "US-A-SC": "Signature",
    "US-A-ASR": "Adult Signature",
    "US-A-INS": "Insurance",
    "US-A-HM": "Dangerous Goods (hazmat)",
    "US-A-HFPU": "Hold for Pickup",
    "US-A-DDP": "Prepay duties to Canada",
}
HAZMAT = "US-A-HM"


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

    @property
    def dangerous_goods(self) -> bool:
        """Bought with the hazmat add-on: the parcel must carry the matching markings."""
        return HAZMAT in (self.add_ons or [])

    @property
    def option_names(self) -> list[str]:
        return [ADD_ON_LABELS.get(code, code) for code in self.add_ons or []]

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
    # Indexed in Meta.indexes (as status and delivery_status): see there.
    stamps_tx_id = models.CharField(max_length=64, blank=True)
    tracking_number = models.CharField(max_length=40, blank=True)
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
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.BUYING)
    failure = models.TextField(blank=True)
    # The carrier's image as bought (R39): its links (they expire) and how it was drawn.
    carrier_label_url = models.URLField(max_length=2000, blank=True)
    carrier_form_url = models.URLField(max_length=2000, blank=True)
    image_type = models.CharField(max_length=16, blank=True, help_text="SWSIM ImageType")
    paper_size = models.CharField(max_length=16, blank=True, help_text="SWSIM PaperSize")
    image_dpi = models.CharField(max_length=16, blank=True, help_text="SWSIM ImageDpi")
    printed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    to_name = models.CharField(max_length=100, blank=True)
    to_country = models.CharField(max_length=2, default="US")
    notified_at = models.DateTimeField(null=True, blank=True)
    # Where the parcel is, as the carrier last said (kept up to date by the tracking app);
    # on the label itself so the list can show and filter it from its own query.
    delivery_status = models.CharField(max_length=16, choices=DeliveryStatus.choices, blank=True)
    last_scan_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    bought_at = models.DateTimeField(null=True, blank=True)
    # When the purchase's follow-up job (``labels.after_purchase``: the image, tracking, the
    # customer's e-mail, webhooks) finished. A bought label without it lost its job (a worker
    # died: the Redis broker has no acknowledgements); ``jobs.sweep_follow_ups`` runs it again.
    followed_up_at = models.DateTimeField(null=True, blank=True)
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
        indexes = [
            models.Index(fields=["merchant", "-created_at"]),
            # Plain indexes, where db_index=True would add on PostgreSQL a second one per
            # text column (varchar_pattern_ops, for LIKE 'prefix%', which nothing asks: the
            # search is by trigrams). Each is written on every label's INSERT and, the row's
            # indexed columns changing, on its recording's UPDATE (make bench: label_cost).
            models.Index(fields=["status"], name="shipment_status"),
            models.Index(fields=["delivery_status"], name="shipment_delivery_status"),
            models.Index(fields=["stamps_tx_id"], name="shipment_stamps_tx_id"),
            models.Index(fields=["tracking_number"], name="shipment_tracking_number"),
            # The few labels whose follow-up is still to come (jobs.sweep_follow_ups).
            models.Index(
                fields=["bought_at"],
                condition=models.Q(status="bought", followed_up_at__isnull=True),
                name="shipment_follow_up_due",
            ),
        ]

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


class LabelFile(models.Model):
    """A copy of the carrier's label or customs form image, kept in storage (R39).

    Fetched once when the label is bought; another format (the store switched to ZPL) is
    asked of the carrier again (ReprintIndicium), never drawn by ShipDesk."""

    class Kind(models.TextChoices):
        LABEL = "label", "Label"
        FORM = "form", "Customs form"

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    image_type = models.CharField(max_length=16)
    paper_size = models.CharField(max_length=16)
    image_dpi = models.CharField(max_length=16)
    part = models.PositiveSmallIntegerField(default=1, help_text="page of a multi-image answer")
    file = models.FileField(upload_to="labels/%Y/%m/")
    # A PDF's pages as relocatable Form XObjects (``shipments.pdf_merge.prepare``), made once
    # when stored, so a batch of 500 merges without parsing 500 PDFs.
    prepared = models.FileField(upload_to="labels/%Y/%m/", blank=True)
    size = models.PositiveIntegerField(default=0)
    fetched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["shipment", "kind", "part"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "kind", "image_type", "paper_size", "image_dpi", "part"],
                name="one_file_per_label_image",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.part} of {self.shipment_id} ({self.image_type})"
