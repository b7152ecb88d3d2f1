"""The documented sandbox test accounts (README.md), created by ``stamps_sandbox seed``."""

from __future__ import annotations

from decimal import Decimal

from . import api
from .models import Account

PASSWORD = "sandbox-pass"
SEED_ACCOUNTS = [
    # username, balance, status, plan, card_declined
    ("sandbox-pro", "500.00", "active", "pro", False),
    ("sandbox-personal", "100.00", "active", "personal", False),
    ("sandbox-pending", "0.00", "pending_verification", "pro", False),
    ("sandbox-declined", "25.00", "active", "pro", True),
    ("sandbox-closed", "40.00", "closed", "pro", False),
    ("sandbox-changed", "60.00", "active", "pro", False),
]


def seed(*, keep: bool = False) -> list[Account]:
    """Create (or recreate) the documented accounts; other sandbox state is kept. With
    ``keep``, accounts that exist already are left as they are (their balance, labels and
    password), so seeding on every start of the app changes nothing a developer did."""
    made = []
    for username, balance, status, plan, declined in SEED_ACCOUNTS:
        if keep and Account.objects.filter(username__iexact=username).exists():
            continue
        Account.objects.filter(username__iexact=username).delete()
        made.append(
            api.create_account(
                username,
                PASSWORD,
                balance=Decimal(balance),
                status=status,
                plan=plan,
                card_declined=declined,
            )
        )
    # Its password "was changed at Stamps.com": the documented one no longer works (R7).
    if any(account.username == "sandbox-changed" for account in made):
        api.change_password("sandbox-changed", "changed-elsewhere")
    return made
