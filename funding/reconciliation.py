"""Reconciliation (R14): the ledger beside the carrier's balance, the drift support sees, and
the explained adjustment that closes it."""

from __future__ import annotations

import logging

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from carriers.models import CarrierAccount
from funding.ledger import (
    ledger_balance,
    lock_account,
    opening_key,
    record_adjustment,
)
from funding.models import BalanceDrift, LedgerEntry, PostagePurchase
from funding.purchases import FundsError, in_flight_total
from funding.refunds import sync_with_refunds

log = logging.getLogger(__name__)


def reconcile(account: CarrierAccount) -> BalanceDrift | None:
    """Compare the ledger with the carrier's balance; flag (or clear) drift for support."""
    if PostagePurchase.objects.filter(
        account_id=account.pk, status__in=PostagePurchase.IN_FLIGHT
    ).exists():
        return None  # a purchase between the two books is not drift
    if sync_with_refunds(account) is None:
        return None  # refunds were landing while it looked: judged on the next run
    now = timezone.now()
    with transaction.atomic():
        locked = lock_account(account)
        ours = ledger_balance(locked)
        theirs = locked.balance
        open_drift = BalanceDrift.objects.filter(account=locked, resolved_at__isnull=True).first()
        if ours == theirs:
            if open_drift is not None:
                open_drift.resolved_at = now
                open_drift.resolution = "Balances agree again."
                open_drift.save(update_fields=["resolved_at", "resolution"])
            return None
        if open_drift is not None:
            open_drift.ledger_balance, open_drift.carrier_balance = ours, theirs
            open_drift.difference = theirs - ours
            open_drift.last_seen_at = now
            open_drift.save()
            return open_drift
        log.warning("ledger drift on account %s: ledger %s, carrier %s", locked.pk, ours, theirs)
        return BalanceDrift.objects.create(
            merchant_id=locked.merchant_id,
            account=locked,
            ledger_balance=ours,
            carrier_balance=theirs,
            difference=theirs - ours,
        )


MIN_EXPLANATION = 15


def entries_around(drift: BalanceDrift, *, before: int = 4, after: int = 2) -> list[LedgerEntry]:
    """The account's opening entry and the entries just before and after a drift was first
    seen: where support starts looking for the movement that went astray (one query)."""
    entries = LedgerEntry.objects.filter(account_id=drift.account_id)
    earlier = entries.filter(created_at__lte=drift.detected_at).order_by("-pk")
    later = entries.filter(created_at__gt=drift.detected_at).order_by("pk")
    return list(
        entries.filter(
            Q(pk__in=earlier.values("pk")[:before])
            | Q(pk__in=later.values("pk")[:after])
            | Q(idempotency_key=opening_key(drift.account))
        ).order_by("pk")
    )


def drift_hint(drift: BalanceDrift, around: list[LedgerEntry] | None = None) -> str:
    """A first guess at the cause, in support's words. ``around``: ``entries_around(drift)``
    (which always holds the opening entry when there is one)."""
    around = entries_around(drift) if around is None else around
    if not any(e.idempotency_key == opening_key(drift.account) for e in around):
        return (
            "This ledger has no opening balance: it started with a movement before the "
            "carrier's balance was read, so it is short by the balance the account started with."
        )
    return ""


def resolve_drift(
    drift: BalanceDrift, explanation: str, *, by: User | AnonymousUser | str
) -> LedgerEntry | None:
    """Support accepts the carrier's balance: one adjustment entry closes the gap, saying why
    and who (never silently). The carrier is read again first, so the adjustment is the gap
    of today, not the one seen when the drift was flagged. Returns None when nothing was left
    to adjust (the books agree again)."""
    explanation = " ".join(explanation.split())
    if len(explanation) < MIN_EXPLANATION:
        raise FundsError(
            "Explain the adjustment (what went wrong and how you checked it) in at least "
            f"{MIN_EXPLANATION} characters: it is written in the merchant's ledger."
        )
    if drift.resolved_at is not None:
        raise FundsError("This drift is already resolved.")
    account = drift.account
    if in_flight_total(account):
        raise FundsError(
            "A postage purchase on this account is still being confirmed with Stamps.com; "
            "adjust once it has settled, or the adjustment would count it twice."
        )
    if sync_with_refunds(account) is None:
        raise FundsError(
            "Stamps.com was crediting refunds of voided labels while ShipDesk read the "
            "balance; try again in a moment."
        )
    who = getattr(by, "email", "") or str(by)
    with transaction.atomic():
        locked = lock_account(drift.account_id)
        current = BalanceDrift.objects.select_for_update().get(pk=drift.pk)
        if current.resolved_at is not None:
            raise FundsError("This drift is already resolved.")
        gap = locked.balance - ledger_balance(locked)
        entry = None
        if gap:
            entry = record_adjustment(
                locked,
                gap,
                f"Reconciliation with Stamps.com by {who}: {explanation}"[:300],
                idempotency_key=f"drift:{drift.pk}",
            )
        current.resolved_at = timezone.now()
        current.resolution = (
            f"Adjusted {gap:+.2f} by {who}: {explanation}"
            if entry
            else f"Nothing to adjust (the balances agreed) — {who}: {explanation}"
        )[:300]
        current.resolved_by = by if isinstance(by, User) and by.pk else None
        current.adjustment = entry
        current.save(update_fields=["resolved_at", "resolution", "resolved_by", "adjustment"])
    log.warning("drift %s on account %s adjusted %s by %s", drift.pk, locked.pk, gap, who)
    return entry
