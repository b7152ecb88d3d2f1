"""Refunds of voided labels (R41): requested at the void, written to the ledger only when
Stamps.com has credited them.

A void is a refund request. USPS approves it and the carrier credits the balance later (up to
about three weeks live; ``STAMPS_SANDBOX_REFUND_DELAY`` in the sandbox). Crediting the ledger
at the void would make it richer than the carrier's balance for all that time, and postage
that is not there could be spent. So:

- ``request_refund`` (inside the void's transaction) records a ``Refund`` awaiting the carrier;
  nothing moves in the ledger.
- ``follow_refunds`` asks GetShipmentList for the refunds of the labels still awaited and
  credits each completed one exactly once (``refund_for_void`` is idempotent on the label).
- ``sync_with_refunds`` reads the balance so that it includes exactly the refunds the ledger
  holds: what purchases and reconciliation compare the ledger with.

The job ``funding.jobs.follow_all_refunds`` runs it on a schedule, like reconciliation.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from carriers.models import CarrierAccount
from carriers.stamps import accounts as stamps
from carriers.stamps.client import REFUNDS_PER_PAGE, StampsClient
from carriers.stamps.types import LabelRefund
from funding.ledger import LedgerError, lock_account, money, refund_for_void
from funding.models import ZERO, Refund
from funding.signals import refund_settled

if TYPE_CHECKING:
    from funding.purchases import BalanceRead

log = logging.getLogger(__name__)

# Labels printed within this many days of each other are asked about in one request.
WINDOW_DAYS = 7
# A balance read can be overtaken by a refund credited in the same instant; it is read again
# at most this many times before the check is left to the next run.
SYNC_ATTEMPTS = 3


def request_refund(
    account: CarrierAccount,
    *,
    amount: Decimal,
    reference: str,
    stamps_tx_id: str,
    tracking_number: str = "",
    printed_on: dt.date,
    description: str = "",
    by: User | None = None,
) -> Refund:
    """The carrier accepted the void: its refund is awaited (nothing moves in the ledger).
    Call inside the void's transaction; calling twice for one label records one refund."""
    if not transaction.get_connection().in_atomic_block:
        raise LedgerError("A refund request is recorded inside the void's transaction (R14).")
    refund, _ = Refund.objects.get_or_create(
        account_id=account.pk,
        reference=reference,
        defaults={
            "merchant_id": account.merchant_id,
            "stamps_tx_id": stamps_tx_id,
            "tracking_number": tracking_number,
            "description": description[:200],
            "amount": money(amount),
            "printed_on": printed_on,
            "by": by,
        },
    )
    return refund


def pending_total(account: CarrierAccount | int) -> Decimal:
    """Refunds requested and not yet credited by the carrier: shown apart from the balance."""
    pk = account.pk if isinstance(account, CarrierAccount) else account
    total = Refund.objects.filter(account_id=pk, status=Refund.Status.REQUESTED).aggregate(
        total=Sum("amount")
    )["total"]
    return total or ZERO


def _windows(dates: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Print-date ranges to ask about, a day wider on each side: the carrier dates a label in
    its own time zone, ShipDesk in the store's (a void from a page) or UTC (one the sweep
    finishes)."""
    windows: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(dates)):
        if windows and (day - windows[-1][0]).days < WINDOW_DAYS:
            windows[-1] = (windows[-1][0], day)
        else:
            windows.append((day, day))
    one = dt.timedelta(days=1)
    return [(start - one, end + one) for start, end in windows]


def _reported(account: CarrierAccount, awaited: list[Refund]) -> dict[str, LabelRefund]:
    found: dict[str, LabelRefund] = {}
    for start, end in _windows([r.printed_on for r in awaited]):
        answer = stamps.call(account, StampsClient.get_refunds, start, end)
        if len(answer) >= REFUNDS_PER_PAGE:
            log.warning("refunds of %s from %s to %s fill a whole page", account.pk, start, end)
        found.update({r.stamps_tx_id.lower(): r for r in answer})
    return found


def follow_refunds(account: CarrierAccount) -> int:
    """Ask the carrier about every refund still awaited on ``account`` and credit those it
    has completed (R41). Returns how many were settled. Raises the carrier's errors."""
    awaited = list(Refund.objects.filter(account_id=account.pk, status=Refund.Status.REQUESTED))
    if not awaited:
        return 0
    reported = _reported(account, awaited)
    settled = 0
    for refund in awaited:
        answer = reported.get(refund.stamps_tx_id.lower())
        Refund.objects.filter(pk=refund.pk).update(
            checks=F("checks") + 1,
            expected_by=answer.expected_at if answer else refund.expected_by,
        )
        if answer is not None and answer.complete and settle(refund, money(answer.approved)):
            settled += 1
    return settled


def settle(refund: Refund, approved: Decimal) -> bool:
    """The carrier credited ``approved`` for ``refund``: one ledger entry (none when USPS
    approved nothing), in one transaction with the refund's new state. False when it was
    already settled."""
    with transaction.atomic():
        account = lock_account(refund.account_id)
        current = (
            Refund.objects.select_for_update(of=("self",)).select_related("by").get(pk=refund.pk)
        )
        if not current.pending:
            return False
        if approved > 0:
            refund_for_void(
                account,
                approved,
                reference=current.reference,
                memo=f"Refund of voided label {current.description}".strip(),
                by=current.by,
            )
        current.status = Refund.Status.REFUNDED if approved > 0 else Refund.Status.DENIED
        current.approved = approved
        current.settled_at = timezone.now()
        current.save(update_fields=["status", "approved", "settled_at"])
        transaction.on_commit(lambda: refund_settled.send(Refund, refund=current))
    return True


def sync_with_refunds(account: CarrierAccount) -> BalanceRead | None:
    """GetAccountInfo with every refund it includes already in the ledger, so the two can be
    compared (purchases settled from the gap, reconciliation).

    A refund the carrier credits between ShipDesk's look at the refunds and its read of the
    balance would be in the balance but not in the ledger, and would look like postage bought.
    So the refunds are asked about again after the read: when nothing new was credited, the
    read holds exactly what the ledger does, and the balance is stored if nothing else was
    between the books (``purchases.store_read``). None when that could not be established
    (refunds kept landing, or the carrier could not say): judge nothing this time."""
    from funding.purchases import read_balance, store_read

    if not Refund.objects.filter(account_id=account.pk, status=Refund.Status.REQUESTED).exists():
        return read_balance(account)
    for _ in range(SYNC_ATTEMPTS):
        follow_refunds(account)
        read = read_balance(account)
        if not follow_refunds(account):
            return store_read(account, read)
    return None
