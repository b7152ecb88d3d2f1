"""Background jobs (django-q2). Each takes primary keys and re-reads inside the job."""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.utils import timezone

from carriers.models import CarrierAccount
from carriers.stamps import errors
from funding import auto_funding, purchases, reconciliation, refunds
from funding.models import AutoFunding, PostagePurchase, Refund

log = logging.getLogger(__name__)

# A purchase is checked this many times in one job before it is handed to the schedule.
CHECKS_PER_JOB = 30
STALE_AFTER = dt.timedelta(minutes=2)


def follow_purchase(purchase_id: int) -> str:
    """Check a pending, processing or unconfirmed purchase until it settles (or hand it to
    the periodic sweep, which keeps checking)."""
    purchase = PostagePurchase.objects.select_related("account").get(pk=purchase_id)
    for check in range(CHECKS_PER_JOB):
        if check:
            time.sleep(purchases.poll_seconds())
        purchase = purchases.resolve_purchase(purchase)
        if not purchase.in_flight:
            break
    if not purchase.in_flight and not purchase.automatic:
        # Auto-funding waited while this purchase was unconfirmed (R44a): whether it landed
        # or not, look again now.
        auto_funding.check_auto_funding(purchase.account_id)
    return purchase.status


def sweep_purchases() -> int:
    """Purchases nobody is following any more (a worker crashed, a job gave up)."""
    stale = PostagePurchase.objects.filter(
        status__in=PostagePurchase.IN_FLIGHT, created_at__lt=timezone.now() - STALE_AFTER
    ).select_related("account")
    done = 0
    for purchase in stale:
        purchases.resolve_purchase(purchase)
        done += 1
    return done


def check_auto_funding(account_id: int) -> str:
    purchase = auto_funding.check_auto_funding(account_id)
    return purchase.status if purchase else "not needed"


def check_all_auto_funding() -> int:
    """The schedule's pass: every enabled account, whatever the last debit did."""
    count = 0
    for account_id in AutoFunding.objects.filter(enabled=True).values_list("account_id", flat=True):
        try:
            if auto_funding.check_auto_funding(account_id):
                count += 1
        except errors.StampsError:
            log.warning("auto-funding check failed for %s", account_id, exc_info=True)
    return count


def reconcile_all() -> int:
    """Sync every usable account and flag ledger drift for support (R14)."""
    flagged = 0
    for account in CarrierAccount.objects.filter(status=CarrierAccount.Status.ACTIVE):
        try:
            if reconciliation.reconcile(account):
                flagged += 1
        except errors.StampsError as exc:
            log.warning("reconciliation failed for %s", account.pk, exc_info=True)
            reconciliation.carrier_unreadable(account, exc)
    return flagged


def follow_all_refunds() -> int:
    """R41: credit the refunds Stamps.com completed since the last run (each exactly once),
    and read those accounts' balances with them."""
    settled = 0
    awaited = Refund.objects.filter(status=Refund.Status.REQUESTED).values("account_id")
    for account in CarrierAccount.objects.filter(
        pk__in=awaited, status=CarrierAccount.Status.ACTIVE
    ):
        try:
            before = refunds.pending_total(account)
            refunds.sync_with_refunds(account)
            settled += before != refunds.pending_total(account)
        except errors.StampsError:
            log.warning("following refunds failed for %s", account.pk, exc_info=True)
    return settled
