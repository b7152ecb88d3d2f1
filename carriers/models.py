from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Self

from django.conf import settings
from django.db import models

from merchants.crypto import EncryptedTextField
from merchants.models import Merchant, MerchantOwned, MerchantQuerySet


class CarrierAccountQuerySet(MerchantQuerySet["CarrierAccount"]):
    def connected(self) -> Self:
        """Accounts still in use: disconnected ones are kept only for their history."""
        return self.filter(disconnected_at__isnull=True)

    def free(self) -> Self:
        """The free Pro-plan account opened through ShipDesk (at most one per store, R6)."""
        return self.connected().filter(plan=CarrierAccount.Plan.PRO_FREE)


CarrierAccountManager = models.Manager.from_queryset(CarrierAccountQuerySet)


class CarrierAccount(MerchantOwned):
    """A merchant's account at a carrier (today: Stamps.com)."""

    objects: ClassVar[CarrierAccountManager[CarrierAccount]] = CarrierAccountManager()

    class Carrier(models.TextChoices):
        STAMPS = "stamps", "Stamps.com"

    class Status(models.TextChoices):
        AWAITING_VERIFICATION = "awaiting_verification", "Awaiting verification"
        ACTIVE = "active", "Active"
        NEEDS_REAUTH = "needs_reauth", "Needs re-authentication"
        CLOSED = "closed", "Closed"
        DISCONNECTED = "disconnected", "Disconnected"

    class Plan(models.TextChoices):
        PRO_FREE = "pro", "Pro (free, discounted rates)"
        PERSONAL = "personal", "Your own plan"

    carrier = models.CharField(max_length=20, choices=Carrier.choices, default=Carrier.STAMPS)
    nickname = models.CharField("account nickname", max_length=60)
    username = models.CharField(max_length=100)
    password = EncryptedTextField(blank=True, editable=False)
    status = models.CharField(
        max_length=24, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    plan = models.CharField(max_length=12, choices=Plan.choices, default=Plan.PERSONAL)
    is_default = models.BooleanField(default=False)
    created_through_shipdesk = models.BooleanField(default=False)
    phone_number = models.CharField(max_length=20, blank=True, help_text="E.164")
    verified_at = models.DateTimeField(null=True, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    balance = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    control_total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    max_balance = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("10000.00"))
    balance_synced_at = models.DateTimeField(null=True, blank=True)
    carrier_account_id = models.CharField(max_length=40, blank=True)
    status_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    # Who connected (or registered) and who disconnected it; empty: ShipDesk itself (store
    # deletion) or before this was recorded. The store's activity log has the same.
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    disconnected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-is_default", "nickname"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "nickname"],
                condition=models.Q(disconnected_at__isnull=True),
                name="carrier_nickname_unique_per_merchant",
            ),
            models.UniqueConstraint(
                fields=["merchant"],
                condition=models.Q(is_default=True, disconnected_at__isnull=True),
                name="one_default_carrier_account_per_merchant",
            ),
            # R6: one free Pro-plan account per merchant.
            models.UniqueConstraint(
                fields=["merchant"],
                condition=models.Q(plan="pro", disconnected_at__isnull=True),
                name="one_free_pro_account_per_merchant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nickname} ({self.get_carrier_display()})"

    @property
    def is_usable(self) -> bool:
        return self.status == self.Status.ACTIVE


class CarrierCall(models.Model):
    """One call to a carrier API, for support and debugging. Secrets are never stored."""

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        FAULT = "fault", "Carrier fault"
        TRANSPORT = "transport", "Transport failure"

    merchant = models.ForeignKey(
        Merchant, null=True, blank=True, on_delete=models.SET_NULL, related_name="carrier_calls"
    )
    account = models.ForeignKey(
        CarrierAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    username = models.CharField(max_length=100, blank=True)
    operation = models.CharField(max_length=60, db_index=True)
    started_at = models.DateTimeField(db_index=True)
    duration_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    attempt = models.PositiveSmallIntegerField(default=1)
    fault_code = models.CharField(max_length=60, blank=True)
    fault_text = models.TextField(blank=True)
    merchant_message = models.TextField(blank=True)
    request_summary = models.TextField(blank=True, help_text="Redacted")

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["merchant", "-started_at"]),
            # The admin finds calls by username and fault code matched whole (carriers/admin.py):
            # a connect attempt's calls have no store or account to find them by.
            models.Index(fields=["username"], name="carrier_call_username"),
            models.Index(fields=["fault_code"], name="carrier_call_fault_code"),
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.outcome} {self.started_at:%Y-%m-%d %H:%M:%S}"


class VerificationPhone(models.Model):
    """One row per phone number: the lock that serialises code sends to that number (R4)."""

    phone_number = models.CharField(max_length=20, unique=True)

    def __str__(self) -> str:
        return self.phone_number


class PhoneVerification(MerchantOwned):
    """One code sent for 2-step verification of a new carrier account (R2-R4).

    The code itself is kept only by the console back-end (encrypted, for the development
    banner); Twilio and the carrier keep their own codes, so ShipDesk stores none.
    """

    account = models.ForeignKey(
        CarrierAccount, on_delete=models.CASCADE, related_name="verifications"
    )
    phone_number = models.CharField(max_length=20, db_index=True, help_text="E.164")
    backend = models.CharField(max_length=12)
    console_code = EncryptedTextField(blank=True, editable=False)
    external_id = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return f"Code to {self.phone_number} at {self.sent_at:%Y-%m-%d %H:%M}"
