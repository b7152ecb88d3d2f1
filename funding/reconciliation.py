"""Reconciliation (R14): the ledger beside the carrier's balance, the drift support sees, and
the explained adjustment that closes it."""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from carriers.models import CarrierAccount
from carriers.stamps.errors import StampsError
from funding.ledger import (
    ledger_balance,
    lock_account,
    opening_key,
    record_adjustment,
)
from funding.models import BalanceCheck, BalanceDrift, LedgerEntry
from funding.purchases import FundsError, under_way
from funding.refunds import sync_with_refunds

log = logging.getLogger(__name__)


# Reconciliation compares only a balance read while nothing ShipDesk does was between the two
# books (``purchases.BalanceRead.stored``). A label being bought is the common case: reserved
# with its IntegratorTxID, CreateIndicium sent, the answer lost or not recorded yet, so
# Stamps.com has charged it and the ledger has not. Compared then, the label looked like a
# drift of minus its price; support closed it with an adjustment, and when the retry or the
# sweep recorded the label it was debited a second time.
#
# Reconciliation waits for such a label rather than settling it itself. Labels left buying
# are finished in one place, ``shipments.jobs.sweep_labels`` (every 5 minutes, R28): it
# re-sends the same IntegratorTxID, and leaves alone a purchase a request or a batch is still
# on. Reconciliation is an audit: finishing labels from it would let the hourly job, or a
# support agent's click on "adjust", send CreateIndicium (buy a label never sent, if the
# worker died before sending it) and race the merchant's own retry on the order page. So
# for the merchant nothing changes (the label is finished as before, its order shipped once);
# for support, a drift is only ever one that stays when every movement has settled, and the
# next run, at most an hour later, judges it. A movement that never settles (a label the
# carrier keeps refusing to confirm), or an account so busy that some movement is always
# between the books, leaves nothing flagged meanwhile: each run notes why it waited
# (``BalanceCheck``), and support sees since when (``waiting_too_long``).

# Hourly runs that have waited this long are worth a look from support.
WAITING_TOO_LONG = dt.timedelta(hours=6)


def _deferred(account: CarrierAccount, why: str) -> None:
    """Note that this run did not compare the books, and why (the first wait's time stays)."""
    log.info("reconciliation of account %s deferred: %s; checked again later", account.pk, why)
    now = timezone.now()
    changes = {
        "waiting_since": Coalesce(F("waiting_since"), now),
        "waiting_for": why[:300],
        "runs_waited": F("runs_waited") + 1,
    }
    if BalanceCheck.objects.filter(account_id=account.pk).update(**changes):
        return
    try:
        with transaction.atomic():
            BalanceCheck.objects.create(
                merchant_id=account.merchant_id,
                account_id=account.pk,
                waiting_since=now,
                waiting_for=why[:300],
                runs_waited=1,
            )
    except IntegrityError:  # another run noted its first wait a moment ago
        BalanceCheck.objects.filter(account_id=account.pk).update(**changes)


def _compared(account: CarrierAccount, now: dt.datetime) -> None:
    BalanceCheck.objects.update_or_create(
        account_id=account.pk,
        defaults={"compared_at": now, "waiting_since": None, "waiting_for": "", "runs_waited": 0},
        create_defaults={"merchant_id": account.merchant_id, "compared_at": now},
    )


def carrier_unreadable(account: CarrierAccount, exc: StampsError) -> None:
    """The run could not read the carrier's balance: noted as a wait, in support's words."""
    _deferred(account, f"Stamps.com's balance could not be read: {exc.explanation}")


def waiting_too_long(check: BalanceCheck, now: dt.datetime | None = None) -> bool:
    since = check.waiting_since
    return since is not None and (now or timezone.now()) - since >= WAITING_TOO_LONG


def reconcile(account: CarrierAccount) -> BalanceDrift | None:
    """Compare the ledger with the carrier's balance; flag (or clear) drift for support.

    Nothing is judged while a movement is between the books (``purchases.under_way``: a
    purchase being confirmed, a label being bought or voided): an open drift stays as it was
    until a run finds every movement settled."""
    # Before asking the carrier, as far as ShipDesk can tell now; the read says it again.
    why = under_way(account, refunds_followed=True)  # refunds are followed by the read
    if why:
        _deferred(account, why)
        return None
    read = sync_with_refunds(account)
    if read is None:
        _deferred(account, "refunds were landing while the balance was read")
        return None
    if not read.stored:
        _deferred(account, read.under_way)
        return None
    # The stored balance was the carrier's figure with nothing between the books; since then
    # it has moved with every entry, so it still stands beside the ledger.
    now = timezone.now()
    with transaction.atomic():
        locked = lock_account(account)
        ours = ledger_balance(locked)
        theirs = locked.balance
        _compared(locked, now)
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
    # The gap adjusted is the carrier's balance beside the ledger: a movement between the two
    # (a label bought whose answer was lost) would be counted once by the adjustment and again
    # when it is recorded, so support waits for it (see above reconcile).
    why = under_way(account, refunds_followed=True)
    if not why:
        read = sync_with_refunds(account)
        if read is None:
            raise FundsError(
                "Stamps.com was crediting refunds of voided labels while ShipDesk read the "
                "balance; try again in a moment."
            )
        why = read.under_way
    if why:
        raise FundsError(
            f"Not adjusted: on this account {why}, so Stamps.com's balance and the ledger "
            "can't be compared yet (one may already hold what the other does not). ShipDesk "
            "settles it within minutes; adjust once it has, or the adjustment could count it "
            "twice."
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
