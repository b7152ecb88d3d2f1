from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.db import models
from django.utils.text import slugify

TIME_ZONE_CHOICES = sorted(
    (tz, tz.replace("_", " ")) for tz in zoneinfo.available_timezones() if "/" in tz
)


class Merchant(models.Model):
    """A store business: the tenant every merchant-facing record belongs to."""

    name = models.CharField("company name", max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(
        max_length=64, choices=TIME_ZONE_CHOICES, default="America/New_York"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="merchants"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def unique_slug_for(name: str) -> str:
        base = slugify(name)[:50] or "merchant"
        slug, n = base, 1
        while Merchant.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        return slug


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        STAFF = "staff", "Staff"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.merchant} ({self.role})"


class MerchantQuerySet(models.QuerySet):
    def for_merchant(self, merchant: Merchant) -> MerchantQuerySet:
        return self.filter(merchant=merchant)


class MerchantOwned(models.Model):
    """Base for every merchant-facing model.

    Views reach these rows only through ``request.merchant`` (see ``shipdesk.tenancy``):
    ``Model.objects.for_merchant(request.merchant)`` or ``get_owned_or_404``.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")

    objects = MerchantQuerySet.as_manager()

    class Meta:
        abstract = True
