"""Demo data: a connected, verified and funded Stamps.com account on the embedded sandbox."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from carriers.models import CarrierAccount
from carriers.signals import account_connected

DEMO_USERNAME = "evergreen-demo"


def demo_password() -> str:
    """Derived from SECRET_KEY: the same on every run of one deployment (the carrier side
    keeps it), and nothing that can be read in the source."""
    return salted_hmac(
        "shipdesk.demo-carrier-password", DEMO_USERNAME, algorithm="sha256"
    ).hexdigest()[:24]


DEMO_BALANCE = Decimal("250.00")


def seed_demo_carrier(merchant, user, stdout) -> CarrierAccount | None:
    if not settings.STAMPS_SANDBOX:
        stdout.write("Skipping the demo carrier account: STAMPS_SANDBOX is off.")
        return None
    from carriers.stamps.sandbox import api as sandbox
    from carriers.stamps.sandbox.models import Account as SandboxAccount

    with transaction.atomic():
        try:
            carrier_side = sandbox.get_account(DEMO_USERNAME)
        except SandboxAccount.DoesNotExist:
            carrier_side = sandbox.create_account(
                DEMO_USERNAME, demo_password(), balance=DEMO_BALANCE, plan="pro"
            )
        account, created = CarrierAccount.objects.get_or_create(
            merchant=merchant,
            username=DEMO_USERNAME,
            disconnected_at=None,
            defaults={
                "nickname": "Evergreen postage",
                "password": demo_password(),
                "status": CarrierAccount.Status.ACTIVE,
                "plan": CarrierAccount.Plan.PRO_FREE,
                "is_default": True,
                "created_through_shipdesk": True,
                "phone_number": "+15035550142",
                "verified_at": timezone.now(),
                "balance": carrier_side.balance,
                "control_total": carrier_side.control_total,
                "balance_synced_at": timezone.now(),
            },
        )
        if created:
            account_connected.send(sender=CarrierAccount, account=account)
    if created:
        stdout.write(f"Connected the demo Stamps.com account {DEMO_USERNAME} (${account.balance}).")
    return account
