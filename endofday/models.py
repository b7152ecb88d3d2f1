"""End of day: USPS SCAN forms, scheduled pickups, and each ship-from location's cut-off.

Labels are ``shipments.Shipment`` rows; a SCAN form lists them through ``ScanFormLabel``, whose
unique constraint on the label is what keeps a label on at most one form (R31), whatever two
requests or workers race to do.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from carriers.models import CarrierAccount
from locations.models import PackageLocation, ShipFromLocation
from merchants.models import MerchantOwned
from shipments.models import Shipment


def new_tx_id() -> str:
    return str(uuid.uuid4())


class ScanForm(MerchantOwned):
    class Status(models.TextChoices):
        CREATING = "creating", "Creating"
        CREATED = "created", "Created"
        FAILED = "failed", "Failed"
        # The carrier's answer was lost and could not be asked for again (endofday.recovery).
        UNKNOWN = "unknown", "Not confirmed: check Stamps.com"

    account = models.ForeignKey(CarrierAccount, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(ShipFromLocation, on_delete=models.PROTECT, related_name="+")
    ship_date = models.DateField()
    integrator_tx_id = models.CharField(max_length=64, unique=True, default=new_tx_id)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CREATING)
    manifest_id = models.CharField("SCAN form id", max_length=64, blank=True, db_index=True)
    carrier_url = models.URLField(max_length=500, blank=True)
    pdf = models.FileField(upload_to="scan-forms/%Y/%m/", blank=True)
    label_count = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)
    automatic = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["merchant", "status", "-created_at"])]

    def __str__(self) -> str:
        return f"SCAN form {self.manifest_id or self.pk} ({self.ship_date})"


class ScanFormLabel(models.Model):
    scan_form = models.ForeignKey(ScanForm, on_delete=models.CASCADE, related_name="items")
    # R31: a label closes on one SCAN form only (one-to-one). The related name lets shipments
    # ask "is this label on a form?" without importing this app.
    shipment = models.OneToOneField(
        Shipment, on_delete=models.CASCADE, related_name="scan_form_entry"
    )

    def __str__(self) -> str:
        return f"{self.scan_form_id}/{self.shipment_id}"


class Pickup(MerchantOwned):
    class Status(models.TextChoices):
        REQUESTING = "requesting", "Requesting"
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"
        FAILED = "failed", "Failed"
        # The carrier's answer was lost; asking again could book a second pickup.
        UNKNOWN = "unknown", "Not confirmed: check Stamps.com"

    account = models.ForeignKey(CarrierAccount, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(ShipFromLocation, on_delete=models.PROTECT, related_name="+")
    requested_date = models.DateField()
    pickup_date = models.DateField(null=True, blank=True)
    confirmation_number = models.CharField(max_length=40, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTING)
    package_count = models.PositiveIntegerField()
    total_weight_lb = models.PositiveIntegerField("total weight (lb)")
    package_location = models.CharField(
        max_length=24, choices=PackageLocation.choices, default=PackageLocation.FRONT_DOOR
    )
    instructions = models.CharField("special instructions", max_length=75, blank=True)
    contact_phone = models.CharField(max_length=20)
    failure = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # A changed or cancelled pickup decides whether USPS comes: the page says who did it.
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-pickup_date", "-pk"]
        indexes = [models.Index(fields=["merchant", "status", "pickup_date"])]

    def __str__(self) -> str:
        return f"Pickup {self.confirmation_number or self.pk} on {self.pickup_date}"
