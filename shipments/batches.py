"""Batches of up to 500 labels, bought by django-q2 jobs on the long-jobs clusters.

A batch is bought by a *run*: ``batch_runners()`` runner tasks queued at once, so the
clusters on every host share one batch. Each runner has a few threads; each thread claims the
next pending item (an atomic claim: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, then a
conditional UPDATE that also stands alone on SQLite), buys it and claims the next, until none
is left. The per-account limit (carriers/stamps/limits.py) bounds the calls in flight; a run
has more threads than that limit (``batch_threads``), so a lone batch keeps every slot busy
while some threads record their labels. Each item ends ``bought`` or ``failed`` (with the
reason and a link to fix the order), so the successes are kept whatever happens to the
others; whichever runner sees no item left pending marks the batch done and announces it,
exactly once. Several batches share the clusters' workers: a batch takes
LABEL_BATCH_RUNNERS of them, and each runner leaves as soon as nothing is left to claim.

A batch whose runners all died (no heartbeat for a while) can be resumed: a new run takes over
every item still pending, claimed or not, and buys it through ``buy_label``, which reuses each
order's IntegratorTxID (R28), so nothing is bought twice.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import socket
import threading
import time
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import ngettext

from carriers import services as carrier_services
from carriers.models import CarrierAccount
from carriers.stamps import errors
from funding.auto_funding import fund_batch
from funding.purchases import FundsError
from merchants.errors import MerchantError
from merchants.permissions import Perm, require
from orders.models import Order
from shipments import labels, rating
from shipments.labels import (
    LabelError,
    LabelPending,
    buy_label,
    default_ship_date,
    order_today,
)
from shipments.models import Batch, BatchItem, Shipment
from shipments.signals import batch_finished

PENDING_RETRIES = 2
HEARTBEAT_SECONDS = 5


class BatchError(MerchantError):
    pass


def batch_runners() -> int:
    """Runner tasks per run of a batch (LABEL_BATCH_RUNNERS, 3): several, so one batch is
    shared by the long-jobs clusters of every host; few, so other merchants' batches still
    find a free worker."""
    return max(1, min(settings.LABEL_BATCH_RUNNERS, batch_threads()))


def batch_threads() -> int:
    """Labels one batch works on at once, over all its runners: LABEL_BATCH_THREADS when set,
    else twice the account's in-flight limit. Each thread holds a call slot only while the
    carrier prints; the rest of its time goes to recording the label and readying the next,
    so half the threads are at the carrier while the others do ShipDesk's part and queue for
    a freed slot (a busy host measured 96% of the slots in use this way, 89% with one spare
    thread per runner). The limiter still bounds the calls; the extra threads wait their
    turn for a few seconds at most, far from STAMPS_IN_FLIGHT_WAIT."""
    if settings.LABEL_BATCH_THREADS > 0:
        return settings.LABEL_BATCH_THREADS
    return 2 * max(1, settings.STAMPS_MAX_IN_FLIGHT)


def threads_per_runner() -> int:
    return math.ceil(batch_threads() / batch_runners())


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.LABEL_BATCH_STALE_SECONDS)


def create_batch(merchant, order_ids, account: CarrierAccount, ship_date, user=None) -> Batch:
    require(user, merchant, Perm.BUY_LABELS)  # its labels are bought as this person
    ids = list(dict.fromkeys(int(i) for i in order_ids))
    if not ids:
        raise BatchError("Select one or more orders first.")
    if len(ids) > Batch.MAX_ORDERS:
        raise BatchError(
            f"A batch holds at most {Batch.MAX_ORDERS} orders; {len(ids)} were selected."
        )
    if account.merchant_id != merchant.pk:
        raise BatchError("That carrier account belongs to another store.")
    found = set(
        Order.objects.for_merchant(merchant).filter(pk__in=ids).values_list("pk", flat=True)
    )
    ids = [i for i in ids if i in found]
    if not ids:
        raise BatchError("None of the selected orders exist.")
    orders = list(
        Order.objects.for_merchant(merchant)
        .filter(pk__in=ids)
        .select_related("ship_from", "merchant")
        .prefetch_related("items")
    )
    by_pk = {order.pk: order for order in orders}
    orders = [by_pk[i] for i in ids]
    no_service = [order.number for order in orders if not order.service]
    if no_service:
        have = ngettext(
            "%(n)d of the selected orders has no service",
            "%(n)d of the selected orders have no service",
            len(no_service),
        ) % {"n": len(no_service)}
        raise BatchError(
            f"{have}: {', '.join(no_service[:10])}{'…' if len(no_service) > 10 else ''}. "
            "Pick a rate on each order (or set the service with an automation rule), then "
            "create the batch again."
        )
    # R43: the ship date follows the ship-from location's time zone and cut-off, and a date
    # already past there is never used.
    today = order_today(orders[0])
    if ship_date is None or ship_date < today:
        ship_date = default_ship_date(orders[0])
    # Each label checks its own location's day too (labels.buy_label); this refuses a batch
    # nobody could buy before a single order is queued or any postage is bought for it.
    if ship_date > labels.latest_ship_date(today):
        raise BatchError(
            f"The ship date can be at most {labels.MAX_DAYS_AHEAD} days ahead "
            f"(until {labels.latest_ship_date(today):%b %-d, %Y})."
        )
    ensure_postage(account, orders, ship_date, key=f"batch:{account.pk}:{uuid.uuid4().hex}")
    with transaction.atomic():
        batch = Batch.objects.create(
            merchant=merchant, account=account, ship_date=ship_date, total=len(ids), created_by=user
        )
        BatchItem.objects.bulk_create(
            BatchItem(batch=batch, order_id=order_id, position=n) for n, order_id in enumerate(ids)
        )
        transaction.on_commit(lambda: enqueue(batch))
    return batch


def postage_needed(account: CarrierAccount, orders: list[Order], ship_date) -> Decimal:
    """The postage these labels will cost, from the carrier's own quotes (cached, so buying
    the labels right after asks nothing twice). An order the carrier cannot rate is left out:
    its label fails in the batch with the carrier's reason."""
    total = Decimal("0.00")
    for order in orders:
        try:
            query = rating.query_for_order(order, ship_date)
            total += rating.rate_for_service(account, query, order.service).total
        except (errors.StampsError, ValueError):
            continue
    return total


def ensure_postage(account: CarrierAccount, orders: list[Order], ship_date, *, key: str) -> None:
    """Before any label is bought: top up through auto-funding, or refuse with what is
    missing, so a batch never fails halfway for postage."""
    needed = postage_needed(account, orders, ship_date)
    try:
        fund_batch(account, needed, key=key)
    except carrier_services.AccountNotUsable as exc:
        raise BatchError(exc.message) from exc
    except FundsError as exc:
        raise BatchError(exc.message, fix=exc.fix) from exc


def enqueue(batch: Batch) -> None:
    """Start a new run of the batch: its runner tasks, on the long-jobs clusters (a batch must
    never hold up a purchase waiting to be confirmed). The new run takes over whatever an
    earlier one left claimed."""
    from django_q.tasks import async_task

    run = new_run(batch.pk)
    for runner in range(batch_runners()):
        async_task(
            "shipments.batches.run_batch",
            batch.pk,
            run,
            runner,
            task_name=f"labels-{batch.pk}-{run}-{runner}",
            cluster=settings.Q_LONG_CLUSTER,
        )


def new_run(batch_id: int) -> int:
    """The number of a new run of the batch (its claims outrank every earlier run's)."""
    Batch.objects.filter(pk=batch_id).update(runs=F("runs") + 1)
    return Batch.objects.values_list("runs", flat=True).get(pk=batch_id)


def progress(batch: Batch) -> dict:
    counts = batch.items.aggregate(
        bought=Count("pk", filter=Q(status=BatchItem.Status.BOUGHT)),
        failed=Count("pk", filter=Q(status=BatchItem.Status.FAILED)),
    )
    done = counts["bought"] + counts["failed"]
    total = batch.total or 1
    return {
        **counts,
        "done": done,
        "total": batch.total,
        "percent": 100 if batch.finished else min(99, done * 100 // total),
    }


def is_stale(batch: Batch, now: dt.datetime | None = None) -> bool:
    if batch.finished:
        return False
    seen = batch.heartbeat_at or batch.created_at
    return (now or timezone.now()) - seen > stale_after()


def resume(batch: Batch) -> bool:
    """Queue the batch again when its worker is gone; False when it is still moving."""
    if batch.finished or not is_stale(batch):
        return False
    Batch.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now())
    enqueue(batch)
    return True


def retry_failed(batch: Batch) -> int:
    """Queue the batch's failed orders again; returns how many. An order that has a label
    by now (bought elsewhere, or found by R28 after a lost answer) is marked bought with it,
    never bought again. Postage for the rest is checked first, as for a new batch."""
    if not batch.finished:
        raise BatchError("This batch is still running: wait for it to finish.")
    failed = list(
        batch.items.filter(status=BatchItem.Status.FAILED)
        .select_related("order", "order__ship_from", "order__merchant")
        .prefetch_related("order__items")
    )
    if not failed:
        raise BatchError("No failed orders to retry in this batch.")
    labelled = dict(
        Shipment.objects.filter(
            order_id__in=[item.order_id for item in failed],
            status__in=[Shipment.Status.BOUGHT, Shipment.Status.BUYING],
        ).values_list("order_id", "pk")
    )
    retry = [item for item in failed if item.order_id not in labelled]
    no_service = [item.order.number for item in retry if not item.order.service]
    if no_service:
        raise BatchError(
            f"Pick a service for {', '.join(no_service[:10])} first: "
            + ngettext(
                "%(n)d failed order still has none.",
                "%(n)d failed orders still have none.",
                len(no_service),
            )
            % {"n": len(no_service)}
        )
    ensure_postage(
        batch.account,
        [item.order for item in retry],
        batch.ship_date,
        key=f"batch:{batch.account_id}:{batch.pk}:retry{batch.runs}",
    )
    with transaction.atomic():
        for item in failed:
            if item.order_id in labelled:
                BatchItem.objects.filter(pk=item.pk).update(
                    status=BatchItem.Status.BOUGHT, shipment_id=labelled[item.order_id], reason=""
                )
        BatchItem.objects.filter(pk__in=[item.pk for item in retry]).update(
            status=BatchItem.Status.PENDING, reason=""
        )
        Batch.objects.filter(pk=batch.pk).update(
            status=Batch.Status.QUEUED,
            finished_at=None,
            heartbeat_at=timezone.now(),
        )
        if retry:
            transaction.on_commit(lambda: enqueue(batch))
        else:
            Batch.objects.filter(pk=batch.pk).update(
                status=Batch.Status.DONE, finished_at=timezone.now()
            )
    return len(retry)


def _buy_item(item: BatchItem, batch: Batch) -> tuple[str, str, Shipment | None]:
    order = item.order
    if not order.service:
        return BatchItem.Status.FAILED, "Choose a service for this order.", None
    service = order.service
    for attempt in range(PENDING_RETRIES + 1):
        try:
            shipment = buy_label(
                order,
                batch.account,
                service,
                batch.ship_date,
                batch=batch,
                batch_item_id=item.pk,
                by=batch.created_by,
            )
        except LabelPending as exc:
            if attempt == PENDING_RETRIES:
                return BatchItem.Status.FAILED, exc.message, None
        except LabelError as exc:
            return BatchItem.Status.FAILED, exc.message, None
        else:
            return BatchItem.Status.BOUGHT, "", shipment
    raise AssertionError("unreachable")


def _claimable(run: int) -> Q:
    """Pending and not taken by this run or a later one: a claim an earlier run left (its
    runner killed, or the run resumed) is free again."""
    return Q(status=BatchItem.Status.PENDING) & (Q(claim_run__isnull=True) | Q(claim_run__lt=run))


def claim_next(batch_id: int, run: int, runner: str) -> BatchItem | None:
    """The batch's next pending item, taken by ``runner`` of ``run``; None when every pending
    item is taken. Runners on PostgreSQL skip the rows others are taking rather than wait;
    the conditional UPDATE makes the claim atomic on any database."""
    while True:
        with transaction.atomic():
            item = (
                BatchItem.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(_claimable(run), batch_id=batch_id)
                .select_related("order", "order__ship_from")
                .order_by("position")
                .first()
            )
            if item is None:
                return None
            taken = BatchItem.objects.filter(_claimable(run), pk=item.pk).update(
                claim_run=run, runner=runner[:120]
            )
        if taken:
            item.claim_run, item.runner = run, runner[:120]
            return item
        # Another runner took it between the two statements (SQLite): the next one.


def _settle(item: BatchItem, batch: Batch) -> None:
    """Buy the item's label and mark the item with the outcome."""
    status, reason, shipment = _buy_item(item, batch)
    if status == BatchItem.Status.FAILED:
        BatchItem.objects.filter(pk=item.pk).update(status=status, reason=reason[:2000])
    elif shipment is not None and shipment.batch_id != batch.pk:
        BatchItem.objects.filter(pk=item.pk).update(status=status, shipment=shipment)
    # A label bought for this batch marked its item in its own transaction (buy_label).


def finish(batch_id: int) -> bool:
    """Mark the batch done when no item is left pending, and announce it; True only for the
    one caller that did (one UPDATE decides, whichever runner settled the last item)."""
    now = timezone.now()
    finished_now = (
        Batch.objects.filter(pk=batch_id)
        .exclude(status=Batch.Status.DONE)
        .exclude(
            Exists(
                BatchItem.objects.filter(batch_id=OuterRef("pk"), status=BatchItem.Status.PENDING)
            )
        )
        .update(status=Batch.Status.DONE, finished_at=now, heartbeat_at=now)
    )
    if finished_now:
        batch_finished.send(Batch, batch=Batch.objects.get(pk=batch_id))
    return bool(finished_now)


def run_batch(batch_id: int, run: int | None = None, runner: int = 0) -> dict:
    """One runner task of a run (``enqueue`` queues several): its threads claim and buy the
    batch's pending items until none is left to claim. Called with the batch alone (inline,
    or a duplicate delivery), it starts a run of its own and buys every pending item."""
    if run is None:
        run = new_run(batch_id)
    Batch.objects.filter(pk=batch_id).exclude(status=Batch.Status.DONE).update(
        status=Batch.Status.RUNNING, heartbeat_at=timezone.now()
    )
    batch = Batch.objects.select_related("account", "created_by").get(pk=batch_id)
    me = f"{run}.{runner}@{socket.gethostname()}:{os.getpid()}"
    beat = _Heartbeat(batch_id)
    stop = threading.Event()
    errors_seen: list[BaseException] = []

    def work(thread_no: int) -> None:
        try:
            while not stop.is_set():
                item = claim_next(batch_id, run, f"{me}/{thread_no}")
                if item is None:
                    return
                _settle(item, batch)
                beat.maybe()
        except BaseException as exc:  # noqa: BLE001 - the runner re-raises it below
            # The runner dies as a whole: the other threads finish the label in hand and
            # claim no more; what this run claimed goes to the next run (resume).
            errors_seen.append(exc)
            stop.set()
        finally:
            connections.close_all()  # this thread's own connection

    threads = [
        threading.Thread(target=work, args=(n,), name=f"batch-{batch_id}-{runner}-{n}")
        for n in range(threads_per_runner())
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors_seen:
        raise errors_seen[0]
    finish(batch_id)
    return progress(Batch.objects.get(pk=batch_id))


class _Heartbeat:
    """Moves the batch's heartbeat (what resume looks at) every few seconds, not per label."""

    def __init__(self, batch_id: int) -> None:
        self.batch_id = batch_id
        self.last = time.monotonic()
        self.lock = threading.Lock()

    def maybe(self) -> None:
        with self.lock:
            if time.monotonic() - self.last <= HEARTBEAT_SECONDS:
                return
            self.last = time.monotonic()
        Batch.objects.filter(pk=self.batch_id).update(heartbeat_at=timezone.now())


def bought_shipments(batch: Batch) -> list[Shipment]:
    return list(
        Shipment.objects.filter(
            pk__in=batch.items.filter(status=BatchItem.Status.BOUGHT).values("shipment_id"),
            status=Shipment.Status.BOUGHT,
        )
        .select_related("order", "order__ship_from")
        .prefetch_related("order__items")
        .order_by("order__number")
    )
