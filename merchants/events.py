"""The store's activity log: team changes, sign-in rules and carrier accounts, with who did it.

Services write one row in the same transaction as the change, so the log never claims a change
that was rolled back, nor misses one that was made."""

from __future__ import annotations

from django.db.models import QuerySet

from merchants.models import Merchant, StoreEvent

Action = StoreEvent.Action

# What the members page shows; support shows the same with a larger limit.
RECENT = 50


def record(
    merchant: Merchant, by, action: str, *, subject: str = "", detail: str = ""
) -> StoreEvent:
    """``by`` None: ShipDesk itself (a job), shown as such."""
    actor = (by.email or by.get_username()) if by is not None else ""
    return StoreEvent.objects.create(
        merchant=merchant,
        by=by,
        actor=actor[:254],
        action=action,
        subject=subject[:254],
        detail=detail[:300],
    )


def two_step_changed(user, action: str, method: str) -> None:
    """Two-step sign-in belongs to the person, so each store they work in hears of it."""
    for merchant in Merchant.objects.filter(memberships__user=user, deleted_at__isnull=True):
        record(merchant, user, action, subject=user.email, detail=method)


def recent(merchant: Merchant, limit: int = RECENT) -> QuerySet[StoreEvent]:
    return StoreEvent.objects.filter(merchant=merchant).order_by("-created_at", "-pk")[:limit]
