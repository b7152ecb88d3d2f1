"""Postage money: the append-only ledger, postage purchases, auto-funding and drift flags.

Rows here change only through the funding services (``purchases``, ``auto_funding``,
``reconciliation``), which write them in the same transaction as the state they belong to
(R14). Ledger entries are never updated or
deleted: a mistake is corrected by a new ``adjustment`` entry.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from carriers.models import CarrierAccount
from merchants.models import MerchantOwned, MerchantQuerySet

ZERO = Decimal("0.00")


class AppendOnlyError(ValidationError):
    pass


class LedgerQuerySet(MerchantQuerySet["LedgerEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Ledger entries are append-only: record an adjustment instead.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Ledger entries are append-only: record an adjustment instead.")


LedgerManager = models.Manager.from_queryset(LedgerQuerySet)


class LedgerEntry(MerchantOwned):
    """One movement of money on a carrier account (R14)."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", "Postage purchase"
        AUTO_PURCHASE = "auto_purchase", "Automatic purchase"
        LABEL = "label", "Label"
        VOID_REFUND = "void_refund", "Void refund"
        ADJUSTMENT = "adjustment", "Adjustment"

    account = models.ForeignKey(
        CarrierAccount, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, db_index=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="Signed")
    balance_after = models.DecimalField(max_digits=12, decimal_places=2)
    reference = models.CharField(
        max_length=128, blank=True, db_index=True, help_text="IntegratorTxID or label id"
    )
    idempotency_key = models.CharField(max_length=160, unique=True)
    memo = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who did it; empty for ShipDesk itself",
    )

    objects: ClassVar[LedgerManager[LedgerEntry]] = LedgerManager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["account", "-id"], name="funding_ledger_account_id"),
            # The balance chart reads only its 90-day window of one account (issue 21).
            models.Index(fields=["account", "created_at"], name="funding_ledger_account_time"),
            # The funds page's ledger, newest first a page at a time (merchants.paging).
            models.Index(fields=["merchant", "-created_at", "-id"], name="funding_ledger_page"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount:+.2f} ({self.account})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Ledger entries are append-only: record an adjustment instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Ledger entries are append-only: record an adjustment instead.")


def new_integrator_tx_id() -> str:
    return f"sdfund-{uuid.uuid4().hex}"


class PostagePurchase(MerchantOwned):
    """One PurchasePostage request, saved with its IntegratorTxID before the carrier hears of it,
    so a timeout or crash is resolved by asking again with the same id (never a second buy)."""

    class Status(models.TextChoices):
        SENDING = "sending", "Sending to Stamps.com"
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        SUCCESS = "success", "Added"
        REJECTED = "rejected", "Rejected"
        UNKNOWN = "unknown", "Not confirmed yet"

    IN_FLIGHT = (Status.SENDING, Status.PENDING, Status.PROCESSING, Status.UNKNOWN)

    account = models.ForeignKey(CarrierAccount, on_delete=models.PROTECT, related_name="purchases")
    integrator_tx_id = models.CharField(max_length=128, unique=True, default=new_integrator_tx_id)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.SENDING, db_index=True
    )
    automatic = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # One automatic purchase per drop below the threshold: "auto:<account>:<drop>".
    idempotency_key = models.CharField(max_length=160, unique=True, null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    carrier_transaction_id = models.CharField(max_length=40, blank=True)
    checks = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        # The admin finds a purchase by the carrier's transaction id, matched whole.
        indexes = [models.Index(fields=["carrier_transaction_id"], name="purchase_carrier_tx_id")]
        constraints = [
            # R44a: the carrier's balance is all that tells whether a purchase whose answer was
            # lost landed, and it can't tell two of them apart, so an account has at most one
            # purchase not yet confirmed. In the database, so two processes can't both start one.
            models.UniqueConstraint(
                fields=["account"],
                # IN_FLIGHT's values (Meta can't see the class it is in).
                condition=models.Q(status__in=["sending", "pending", "processing", "unknown"]),
                name="funding_one_unconfirmed_purchase",
                violation_error_message="A purchase on this account is still being confirmed.",
            )
        ]

    def __str__(self) -> str:
        return f"${self.amount:,.2f} to {self.account} ({self.get_status_display()})"

    @property
    def in_flight(self) -> bool:
        return self.status in self.IN_FLIGHT


class Refund(MerchantOwned):
    """A voided label's refund (R41). Voiding asks Stamps.com for it; USPS approves it and the
    carrier credits the balance days later. Only then is it written to the ledger (once, by
    ``funding.refunds``), so the ledger always says what the carrier's balance holds and a
    refund still awaited is shown apart."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Refund requested"
        REFUNDED = "refunded", "Refunded"
        DENIED = "denied", "Refund denied"

    account = models.ForeignKey(CarrierAccount, on_delete=models.PROTECT, related_name="refunds")
    # The label's IntegratorTxID (the ledger's reference for it) and the carrier's ids.
    reference = models.CharField(max_length=128)
    stamps_tx_id = models.CharField(max_length=40)
    tracking_number = models.CharField(max_length=40, blank=True)
    description = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2, help_text="Requested")
    approved = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.REQUESTED, db_index=True
    )
    # The date the label was printed: GetShipmentList finds it by it.
    printed_on = models.DateField()
    requested_at = models.DateTimeField(default=timezone.now)
    expected_by = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    checks = models.PositiveIntegerField(default=0)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "reference"], name="funding_refund_label")
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} ${self.amount:,.2f} ({self.account})"

    @property
    def pending(self) -> bool:
        return self.status == self.Status.REQUESTED


class AutoFunding(MerchantOwned):
    """R13: "when the balance drops below ``threshold``, add ``amount``, at most
    ``max_per_day`` times a day", plus what Stamps.com's own auto-buy was last seen doing."""

    account = models.OneToOneField(
        CarrierAccount, on_delete=models.CASCADE, related_name="auto_funding"
    )
    enabled = models.BooleanField(default=False)
    threshold = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("50.00"))
    amount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("100.00"))
    max_per_day = models.PositiveSmallIntegerField(default=3)
    # Re-armed when the balance is back at or above the threshold; each re-arm is a new drop.
    armed = models.BooleanField(default=True)
    drop_seq = models.PositiveIntegerField(default=0)
    last_skip_reason = models.CharField(max_length=300, blank=True)
    carrier_auto_buy_enabled = models.BooleanField(default=False)
    carrier_auto_buy_amount = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    carrier_auto_buy_trigger = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    carrier_checked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "auto-funding setting"

    def __str__(self) -> str:
        state = "on" if self.enabled else "off"
        return f"Auto-funding {state} for {self.account}"

    @property
    def funds_twice(self) -> bool:
        return self.enabled and self.carrier_auto_buy_enabled


class BalanceDrift(MerchantOwned):
    """The ledger and the carrier disagree about an account's balance (for support)."""

    account = models.ForeignKey(CarrierAccount, on_delete=models.CASCADE, related_name="drifts")
    ledger_balance = models.DecimalField(max_digits=12, decimal_places=2)
    carrier_balance = models.DecimalField(max_digits=12, decimal_places=2)
    difference = models.DecimalField(max_digits=12, decimal_places=2)
    detected_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_seen_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=300, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The adjustment entry that closed the gap (none when the books agreed again by themselves).
    adjustment = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="drift"
    )

    class Meta:
        ordering = ["-detected_at", "-pk"]
        permissions = [("post_adjustment", "Can post an explained adjustment for a drift")]

    def __str__(self) -> str:
        return f"Drift {self.difference:+.2f} on {self.account}"


class BalanceCheck(MerchantOwned):
    """Reconciliation's latest word on an account (R14), for support: when the two books were
    last compared, and since when and why a comparison has been waiting.

    A run waits while money is between the books (a label being bought, a purchase being
    confirmed) or when the carrier can't be read; on an account that is never idle a drift
    would go unseen, so support sees how long it has been waiting instead of nothing."""

    account = models.OneToOneField(
        CarrierAccount, on_delete=models.CASCADE, related_name="balance_check"
    )
    compared_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    waiting_for = models.CharField(max_length=300, blank=True)
    runs_waited = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Balance check of {self.account}"
