"""The sandbox's own state: what Stamps.com would hold. Never touched by ShipDesk code."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from decimal import Decimal

from django.db import models

ZERO = Decimal("0.00")


def hash_password(password: str, salt: str | None = None) -> str:
    # A sandbox, not a password store: a fast salted hash keeps tests quick.
    salt = salt or secrets.token_hex(8)
    return f"{salt}${hashlib.sha256((salt + password).encode()).hexdigest()}"


class Account(models.Model):
    PENDING = "pending_verification"
    ACTIVE = "active"
    CLOSED = "closed"
    STATUSES = [(PENDING, "Pending verification"), (ACTIVE, "Active"), (CLOSED, "Closed plan")]
    PRO = "pro"
    PERSONAL = "personal"
    PLANS = [(PRO, "Pro (free, discounted rates)"), (PERSONAL, "Personal (retail rates)")]

    username = models.CharField(max_length=40, unique=True)
    password_hash = models.CharField(max_length=100)
    status = models.CharField(max_length=24, choices=STATUSES, default=ACTIVE)
    plan = models.CharField(max_length=10, choices=PLANS, default=PRO)
    balance = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    control_total = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    max_balance = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("10000.00"))
    auto_buy_enabled = models.BooleanField(default=False)
    auto_buy_amount = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    auto_buy_trigger = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    card_declined = models.BooleanField(default=False)
    card_last4 = models.CharField(max_length=4, default="4242")
    email = models.CharField(max_length=320, blank=True)
    phone = models.CharField(max_length=10, blank=True)
    address = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "stamps_sandbox_account"

    def __str__(self) -> str:
        return self.username

    def check_password(self, password: str) -> bool:
        salt, _, _digest = self.password_hash.partition("$")
        return secrets.compare_digest(hash_password(password, salt), self.password_hash)

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)


class Authenticator(models.Model):
    token = models.CharField(max_length=64, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="authenticators")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "stamps_sandbox_authenticator"

    def __str__(self) -> str:
        return f"{self.account} {self.token[:8]}"


class VerificationCode(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="codes")
    phone = models.CharField(max_length=10)
    code = models.CharField(max_length=6)
    attempts = models.PositiveIntegerField(default=0)
    used = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "stamps_sandbox_verification_code"

    def __str__(self) -> str:
        return f"{self.phone} {self.code}"


class Purchase(models.Model):
    SUCCESS = "Success"
    PENDING = "Pending"
    REJECTED = "Rejected"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="purchases")
    integrator_tx_id = models.CharField(max_length=128, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(max_length=10)
    rejection_reason = models.CharField(max_length=300, blank=True)
    auto_buy = models.BooleanField(default=False)
    # What the answer said (the balances right after it).
    balance_after = models.DecimalField(max_digits=12, decimal_places=2)
    control_total_after = models.DecimalField(max_digits=12, decimal_places=2)
    settle_after_calls = models.PositiveIntegerField(default=0)
    settle_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "stamps_sandbox_purchase"

    def __str__(self) -> str:
        return f"{self.account} ${self.amount} {self.status}"


class Manifest(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="manifests")
    manifest_id = models.CharField(max_length=40, unique=True)
    integrator_tx_id = models.CharField(max_length=128, blank=True)
    ship_date = models.DateField()
    from_address = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "stamps_sandbox_manifest"

    def __str__(self) -> str:
        return self.manifest_id


class Indicium(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="indicia")
    integrator_tx_id = models.CharField(max_length=128)
    stamps_tx_id = models.UUIDField(default=uuid.uuid4, unique=True)
    tracking_number = models.CharField(max_length=40, blank=True, db_index=True)
    service_type = models.CharField(max_length=16)
    package_type = models.CharField(max_length=40)
    label_category = models.CharField(max_length=30)
    postage = models.DecimalField(max_digits=12, decimal_places=2)
    add_ons_total = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    surcharges_total = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    rate = models.JSONField(default=dict)  # the RateV46 answered, for replays and the label
    customs = models.JSONField(null=True, blank=True)
    memo = models.CharField(max_length=200, blank=True)
    # What the label prints besides the rate: Reference1-3 and the customs non-delivery
    # option (reprints draw the same label again from them).
    label_options = models.JSONField(default=dict, blank=True)
    ship_date = models.DateField()
    balance_after = models.DecimalField(max_digits=12, decimal_places=2)
    control_total_after = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField()
    # A void is a refund request (R41): the postage comes back at refund_due_at, when USPS
    # "approves" it (the first call that settles after that moment credits the balance).
    voided_at = models.DateTimeField(null=True, blank=True)
    refund_due_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    manifest = models.ForeignKey(
        Manifest, null=True, blank=True, on_delete=models.SET_NULL, related_name="indicia"
    )
    # A return label (Rate.PrintLayout "Return..."): its last valid day, and the ReturnTo
    # address printed on it when one was sent.
    return_expires_on = models.DateField(null=True, blank=True)
    return_to = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = "stamps_sandbox_indicium"
        constraints = [
            models.UniqueConstraint(
                fields=["account", "integrator_tx_id"], name="stamps_sandbox_indicium_txid"
            )
        ]

    def __str__(self) -> str:
        return self.tracking_number or str(self.stamps_tx_id)

    @property
    def total(self) -> Decimal:
        return self.postage + self.add_ons_total + self.surcharges_total


class Pickup(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="pickups")
    confirmation_number = models.CharField(max_length=20, unique=True)
    pickup_date = models.DateField()
    contact = models.JSONField(default=dict)
    address = models.JSONField(default=dict)
    packages = models.JSONField(default=dict)
    status = models.CharField(max_length=20, default="Scheduled")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "stamps_sandbox_pickup"

    def __str__(self) -> str:
        return self.confirmation_number


class Fault(models.Model):
    """An injected failure for one operation; ``remaining`` None means every call."""

    KINDS = ["delay", "timeout", "http500", "drop_after_commit", "soap_fault", "out_of_sync"]

    operation = models.CharField(max_length=40)
    kind = models.CharField(max_length=20)
    delay = models.FloatField(default=0.0)
    remaining = models.PositiveIntegerField(null=True, blank=True)
    message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "stamps_sandbox_fault"

    def __str__(self) -> str:
        return f"{self.operation} {self.kind}"


class Config(models.Model):
    """One row: knobs tests turn, in the database so every server process sees them."""

    token_ttl_seconds = models.PositiveIntegerField(default=3600)
    now_override = models.DateTimeField(null=True, blank=True)
    pending_settle_calls = models.PositiveIntegerField(default=2)
    pending_settle_seconds = models.PositiveIntegerField(default=5)
    # Seconds from a void to its refund; None: settings.STAMPS_SANDBOX_REFUND_DELAY.
    refund_delay_seconds = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        db_table = "stamps_sandbox_config"

    def __str__(self) -> str:
        return "sandbox configuration"
