from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst

from locations.models import ShipFromLocation
from merchants.models import MerchantOwned
from orders.catalog import Confirmation, ContentsType, NonDelivery, PackageType, Service

MILITARY_STATES = {"AA", "AE", "AP"}


class AddressStatus(models.TextChoices):
    UNCHECKED = "unchecked", "Not checked yet"
    INCOMPLETE = "incomplete", "Address needs attention"
    VERIFIED = "verified", "Verified"
    CORRECTED = "corrected", "Corrected"
    UNVERIFIED = "unverified", "Could not be verified"
    OVERRIDDEN = "overridden", "Used as entered"


class Order(MerchantOwned):
    class Status(models.TextChoices):
        AWAITING_SHIPMENT = "awaiting_shipment", "Awaiting shipment"
        ON_HOLD = "on_hold", "On hold"
        SHIPPED = "shipped", "Shipped"
        CANCELLED = "cancelled", "Cancelled"

    # Indexed on its own for the support console, which searches orders of every merchant.
    number = models.CharField("order number", max_length=60)  # indexed in Meta.indexes
    store = models.CharField(max_length=80, blank=True)
    order_date = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.AWAITING_SHIPMENT
    )  # indexed in Meta.indexes
    recipient_name = models.CharField(max_length=100)
    company = models.CharField(max_length=100, blank=True)
    street1 = models.CharField("address 1", max_length=100)
    street2 = models.CharField("address 2", max_length=100, blank=True)
    city = models.CharField(max_length=60)
    state = models.CharField(max_length=30, blank=True)
    postal_code = models.CharField(max_length=15, blank=True)
    country = models.CharField(max_length=2, default="US")
    residential = models.BooleanField(default=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    requested_service = models.CharField(max_length=100, blank=True)
    total = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    tags = models.CharField(max_length=200, blank=True, help_text="Comma-separated")
    ship_from = models.ForeignKey(
        ShipFromLocation, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    hold_until = models.DateField(null=True, blank=True)
    # Package: one parcel per order.
    package_type = models.CharField(
        max_length=30, choices=PackageType.choices, default=PackageType.PACKAGE
    )
    weight_lb = models.PositiveIntegerField("weight (lb)", default=0)
    weight_oz = models.DecimalField(
        "weight (oz)", max_digits=5, decimal_places=1, default=Decimal("0.0")
    )
    length_in = models.DecimalField(
        "length (in)", max_digits=6, decimal_places=2, null=True, blank=True
    )
    width_in = models.DecimalField(
        "width (in)", max_digits=6, decimal_places=2, null=True, blank=True
    )
    height_in = models.DecimalField(
        "height (in)", max_digits=6, decimal_places=2, null=True, blank=True
    )
    service = models.CharField(max_length=10, choices=Service.choices, blank=True)
    confirmation = models.CharField(
        max_length=20, choices=Confirmation.choices, default=Confirmation.TRACKING
    )
    insurance_amount = models.DecimalField(
        "insured value", max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    # Other Shipping Options.
    dangerous_goods = models.BooleanField("Dangerous Goods (hazmat)", default=False)
    non_machinable = models.BooleanField(default=False)
    hold_for_pickup = models.BooleanField(default=False)
    saturday_delivery = models.BooleanField(default=False)
    label_message_1 = models.CharField(max_length=60, blank=True)
    label_message_2 = models.CharField(max_length=60, blank=True)
    label_message_3 = models.CharField(max_length=60, blank=True)
    prepay_duties_canada = models.BooleanField("prepay duties to Canada", default=False)
    customs_contents_type = models.CharField(
        max_length=20, choices=ContentsType.choices, default=ContentsType.MERCHANDISE
    )
    non_delivery = models.CharField(
        "if undeliverable", max_length=10, choices=NonDelivery.choices, default=NonDelivery.RETURN
    )
    # R41-R43: the carrier's check of the ship-to address. ``address_checked`` is a
    # fingerprint of the fields that were checked, so an edit makes the check stale and a rate
    # refresh with the same address asks the carrier nothing. ``cleansed_address`` holds the
    # carrier's address (with its CleanseHash and OverrideHash) and the candidates it offered.
    address_status = models.CharField(
        max_length=20, choices=AddressStatus.choices, default=AddressStatus.UNCHECKED
    )
    address_checked = models.CharField(max_length=64, blank=True)
    cleansed_address = models.JSONField(default=dict, blank=True)
    # R36: rules run once, when the order first enters Awaiting Shipment or On Hold.
    rules_applied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-order_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "number"], name="order_number_per_merchant")
        ]
        indexes = [
            # Plain indexes: db_index=True adds on PostgreSQL a varchar_pattern_ops one beside
            # each (for LIKE 'prefix%', which nothing asks), written again whenever an order's
            # status changes, on every label bought (make bench: label_cost).
            models.Index(fields=["number"], name="order_number"),
            models.Index(fields=["status"], name="order_status"),
            models.Index(fields=["merchant", "status", "-order_date"]),
            models.Index(fields=["merchant", "-order_date"], name="orders_merchant_date_idx"),
            # The order list's other sorts (orders.views.SORTS), so a page of a million
            # orders sorted by recipient or total reads one page, not the shop (issue 21).
            models.Index(fields=["merchant", "recipient_name", "id"], name="orders_sort_recipient"),
            models.Index(fields=["merchant", "total", "id"], name="orders_sort_total"),
            models.Index(
                fields=["merchant", "country", "-order_date", "-id"], name="orders_sort_country"
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.number}"

    @property
    def is_domestic(self) -> bool:
        return self.country == "US" and not self.is_military

    @property
    def is_military(self) -> bool:
        return self.country == "US" and self.state.upper() in MILITARY_STATES

    @property
    def is_international(self) -> bool:
        return self.country != "US"

    @property
    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.split(",") if t.strip()]

    @property
    def package_weight_oz(self) -> Decimal:
        return Decimal(self.weight_lb) * 16 + self.weight_oz

    def weigh_from_items(self, items) -> None:
        """Start the package weight at what the items weigh, as the store reported it."""
        total = sum((Decimal(i.quantity) * i.weight_oz for i in items), Decimal("0"))
        if total > 0 and not self.package_weight_oz:
            pounds, ounces = divmod(total, 16)
            self.weight_lb, self.weight_oz = int(pounds), ounces.quantize(Decimal("0.1"))

    @property
    def label_messages(self) -> list[str]:
        return [m for m in (self.label_message_1, self.label_message_2, self.label_message_3) if m]

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.AWAITING_SHIPMENT, self.Status.ON_HOLD)


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField("SKU", max_length=60, blank=True)
    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    weight_oz = models.DecimalField(
        "weight (oz)", max_digits=8, decimal_places=2, default=Decimal("0.00")
    )
    customs_description = models.CharField(max_length=100, blank=True)
    hs_code = models.CharField("HS code", max_length=12, blank=True)
    origin_country = models.CharField(max_length=2, default="US")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.name}"


CHANGE_FIELD_LABELS = {
    "tags": "Tags",
    "hold_until": "Status",
    "ship_from": "Ship-from location",
    "weight_lb": "Weight (lb)",
    "weight_oz": "Weight (oz)",
    "length_in": "Length (in)",
    "width_in": "Width (in)",
    "height_in": "Height (in)",
    "insurance_amount": "Insured value ($)",
}
CHANGE_CHOICES: dict[str, type[models.TextChoices]] = {
    "service": Service,
    "package_type": PackageType,
    "confirmation": Confirmation,
}


def change_field_label(field: str) -> str:
    """A changed order field as the merchant knows it ("Service", not "service")."""
    if field in CHANGE_FIELD_LABELS:
        return CHANGE_FIELD_LABELS[field]
    try:
        model_field = Order._meta.get_field(field)
    except FieldDoesNotExist:
        return field
    return capfirst(str(getattr(model_field, "verbose_name", field)))


def change_value_label(field: str, value: str) -> str:
    """A changed value as the merchant knows it ("Ground Advantage", not "US-GA"; "on")."""
    choices = CHANGE_CHOICES.get(field)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return {"yes": "on", "no": "off"}.get(value, value)


class OrderRuleChange(models.Model):
    """What an automation rule changed on an order (shown on the order page)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="rule_changes")
    rule = models.ForeignKey(
        "AutomationRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule_name = models.CharField(max_length=100)
    field = models.CharField(max_length=40)
    old_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.rule_name}: {self.field} {self.old_value!r} -> {self.new_value!r}"

    @property
    def field_label(self) -> str:
        return change_field_label(self.field)

    @property
    def old_label(self) -> str:
        return change_value_label(self.field, self.old_value)

    @property
    def new_label(self) -> str:
        return change_value_label(self.field, self.new_value)


class AutomationRule(MerchantOwned):
    """One rule of a merchant's ordered list (R36). Conditions and actions are small dicts.

    ``conditions``: ``[{"field": "country", "op": "eq", "value": "CA"}, ...]``;
    ``actions``: ``{"service": "US-PM", "dangerous_goods": true, "add_tag": "fragile", ...}``.
    """

    class Match(models.TextChoices):
        ALL = "all", "All conditions"
        ANY = "any", "Any condition"

    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    enabled = models.BooleanField(default=True)
    match = models.CharField(max_length=3, choices=Match.choices, default=Match.ALL)
    conditions = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=dict, blank=True)
    stop_processing = models.BooleanField("stop processing more rules", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class ImportMapping(MerchantOwned):
    """A merchant's saved CSV header mapping: their header (folded) -> ShipDesk field."""

    columns = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="one_import_mapping_per_merchant")
        ]

    def __str__(self) -> str:
        return f"Import mapping of {self.merchant}"


class ImportJob(MerchantOwned):
    class Status(models.TextChoices):
        NEEDS_MAPPING = "needs_mapping", "Needs column mapping"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        UPLOAD = "upload", "CSV upload"
        COMMAND = "command", "Command line"
        API = "api", "API"

    source = models.CharField(max_length=10, choices=Source.choices, default=Source.UPLOAD)
    filename = models.CharField(max_length=200, blank=True)
    content = models.TextField(blank=True, help_text="The uploaded CSV, kept until imported")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.processed_rows * 100 // self.total_rows)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ApiKey(MerchantOwned):
    """A merchant's order-import API key. Only a SHA-256 hash is stored."""

    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise it")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant"], name="one_api_key_per_merchant")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.merchant})"


class CountryServiceAlert(models.Model):
    """A USPS service disruption or suspension to a country, kept by admins (R23)."""

    class Kind(models.TextChoices):
        DISRUPTION = "disruption", "Service disruption"
        SUSPENSION = "suspension", "Service suspended"

    country = models.CharField(max_length=2, db_index=True, help_text="ISO code, e.g. UA")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.DISRUPTION)
    services = models.CharField(
        max_length=200, blank=True, help_text="Comma-separated service codes; blank = all USPS"
    )
    message = models.CharField(max_length=300)
    active = models.BooleanField(default=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country"]

    def __str__(self) -> str:
        return f"{self.country}: {self.get_kind_display()}"

    @property
    def service_list(self) -> list[str]:
        return [s.strip() for s in self.services.split(",") if s.strip()]


class SavedView(MerchantOwned):
    """A named filter of the order list, kept for one person of one store (each person's
    list of views is their own; the store's other people have theirs)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=60)
    # The order list's query string (filters, sort, page size), without the page number.
    query = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "user", "name"], name="saved_view_name_per_person"
            )
        ]

    def __str__(self) -> str:
        return self.name
