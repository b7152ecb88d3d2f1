"""Ship-from locations and their shipping day settings.

Both models were born in other apps (orders, endofday) and keep those app labels, so their
tables, migrations and admin addresses stay where existing databases have them; the code
lives here, on the floor below orders, so that labels and SCAN forms can both use it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import models

from carriers.stamps.zones import time_zone_name
from merchants.models import TIME_ZONE_CHOICES, MerchantOwned

DEFAULT_CUTOFF = dt.time(17, 0)


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
    # Derived from the ZIP code on save (R43): Stamps.com judges 9 pm and the shipping day by
    # the ZIP's local time, so a zone the merchant picked could only contradict the carrier.
    time_zone = models.CharField(
        max_length=64, choices=TIME_ZONE_CHOICES, default="America/New_York", editable=False
    )
    is_default = models.BooleanField(default=False)

    class Meta:
        app_label = "orders"  # born in orders: its table and migrations stay there
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

    def save(self, *args, **kwargs) -> None:
        self.time_zone = self.zip_time_zone() or self.time_zone
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "time_zone"}
        super().save(*args, **kwargs)

    def zip_time_zone(self) -> str | None:
        """The time zone the carrier places this address in (None outside the US table)."""
        if self.country != "US":
            return None
        return time_zone_name(self.postal_code, self.state)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.zip_time_zone() or self.time_zone)


class PackageLocation(models.TextChoices):
    """SWSIM CarrierPickupLocationV1."""

    FRONT_DOOR = "FrontDoor", "Front door"
    BACK_DOOR = "BackDoor", "Back door"
    SIDE_DOOR = "SideDoor", "Side door"
    KNOCK = "KnockOnDoorOrRingBell", "Knock on door or ring bell"
    MAIL_ROOM = "MailRoom", "Mail room"
    OFFICE = "Office", "Office"
    RECEPTION = "Reception", "Reception"
    MAILBOX = "InOrAtMailbox", "In or at the mailbox"
    OTHER = "Other", "Other (say where in the instructions)"


class EndOfDaySettings(MerchantOwned):
    """A ship-from location's shipping day: after ``cutoff_time`` (local), new labels take the
    next day's ship date, and the automatic SCAN form (when on) closes the day's labels."""

    location = models.OneToOneField(
        ShipFromLocation, on_delete=models.CASCADE, related_name="end_of_day"
    )
    cutoff_time = models.TimeField(
        "shipping cut-off",
        default=DEFAULT_CUTOFF,
        help_text="Local time of the location. Labels created later get the next day's date.",
    )
    auto_scan_form = models.BooleanField(
        "create the SCAN form automatically at the cut-off", default=False
    )
    pickup_location = models.CharField(
        "where packages wait for pickup",
        max_length=24,
        choices=PackageLocation.choices,
        default=PackageLocation.FRONT_DOOR,
    )
    pickup_instructions = models.CharField(max_length=75, blank=True)
    # The automatic SCAN form runs once a day: the job claims the day by moving this on.
    last_auto_scan_on = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        app_label = "endofday"  # born in endofday: its table and migrations stay there
        verbose_name = "end-of-day settings"
        verbose_name_plural = "end-of-day settings"

    def __str__(self) -> str:
        return f"End of day at {self.location}"
