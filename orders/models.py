from __future__ import annotations

import zoneinfo
from decimal import Decimal

from django.db import models

from shipdesk.models import TIME_ZONE_CHOICES, MerchantOwned

MILITARY_STATES = {"AA", "AE", "AP"}


class ShipFromLocation(MerchantOwned):
    """Where parcels leave from; its time zone decides SCAN form and pickup cut-offs."""

    name = models.CharField("location name", max_length=80)
    contact_name = models.CharField(max_length=80)
    company = models.CharField(max_length=80, blank=True)
    street1 = models.CharField("address 1", max_length=100)
    street2 = models.CharField("address 2", max_length=100, blank=True)
    city = models.CharField(max_length=60)
    state = models.CharField(max_length=30)
    postal_code = models.CharField(max_length=15)
    country = models.CharField(max_length=2, default="US")
    phone = models.CharField(max_length=30, blank=True)
    time_zone = models.CharField(
        max_length=64, choices=TIME_ZONE_CHOICES, default="America/New_York"
    )
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant"],
                condition=models.Q(is_default=True),
                name="one_default_ship_from_per_merchant",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Order(MerchantOwned):
    class Status(models.TextChoices):
        AWAITING_SHIPMENT = "awaiting_shipment", "Awaiting shipment"
        ON_HOLD = "on_hold", "On hold"
        SHIPPED = "shipped", "Shipped"
        CANCELLED = "cancelled", "Cancelled"

    number = models.CharField("order number", max_length=60)
    store = models.CharField(max_length=80, blank=True)
    order_date = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.AWAITING_SHIPMENT, db_index=True
    )
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-order_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "number"], name="order_number_per_merchant")
        ]
        indexes = [models.Index(fields=["merchant", "status", "-order_date"])]

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
