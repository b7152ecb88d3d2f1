"""Batches of up to 500 labels, bought by a django-q2 job.

The job takes the batch's primary key and works through its pending items in order; each
item ends ``bought`` or ``failed`` (with the reason and a link to fix the order), so the
successes are kept whatever happens to the others. A batch whose worker died (no heartbeat
for a while) can be resumed: the items still pending are bought again through ``buy_label``,
which reuses each order's IntegratorTxID (R28), so nothing is bought twice.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Count, Q
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


def batch_threads() -> int:
    """Labels in flight at once in one batch (setting or env LABEL_BATCH_THREADS, 3)."""
    return settings.LABEL_BATCH_THREADS


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
    from django_q.tasks import async_task

    # The long-jobs cluster: a batch must never hold up a purchase waiting to be confirmed.
    async_task(
        "shipments.batches.run_batch",
        batch.pk,
        task_name=f"labels-{batch.pk}-{batch.runs}",
        cluster=settings.Q_LONG_CLUSTER,
    )


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


def run_batch(batch_id: int) -> dict:
    """The django-q2 task: buy every pending item of the batch."""
    now = timezone.now()
    Batch.objects.filter(pk=batch_id).exclude(status=Batch.Status.DONE).update(
        status=Batch.Status.RUNNING, heartbeat_at=now
    )
    batch = Batch.objects.select_related("account", "created_by").get(pk=batch_id)
    Batch.objects.filter(pk=batch_id).update(runs=batch.runs + 1)
    items = list(
        batch.items.filter(status=BatchItem.Status.PENDING)
        .select_related("order", "order__ship_from")
        .order_by("position")
    )

    def work(item: BatchItem):
        try:
            return item, _buy_item(item, batch)
        finally:
            connections.close_all()  # this thread's own connection

    # A few labels in flight at once: while Stamps.com prints one, ShipDesk records another.
    # Each order is bought by one thread only, with its own IntegratorTxID (R28).
    threads = max(1, batch_threads())
    beat = time.monotonic()
    with ThreadPoolExecutor(threads, thread_name_prefix=f"batch-{batch_id}") as pool:
        for item, (status, reason, shipment) in pool.map(work, items):
            if status == BatchItem.Status.FAILED:
                BatchItem.objects.filter(pk=item.pk).update(status=status, reason=reason[:2000])
            elif shipment is not None and shipment.batch_id != batch.pk:
                BatchItem.objects.filter(pk=item.pk).update(status=status, shipment=shipment)
            # A bought label marked its item in its own transaction; the heartbeat (for
            # resume) moves every few seconds rather than with each label.
            if time.monotonic() - beat > HEARTBEAT_SECONDS:
                beat = time.monotonic()
                Batch.objects.filter(pk=batch_id).update(heartbeat_at=timezone.now())
    finished_now = (
        Batch.objects.filter(pk=batch_id)
        .exclude(status=Batch.Status.DONE)
        .update(status=Batch.Status.DONE, finished_at=timezone.now(), heartbeat_at=timezone.now())
    )
    done = Batch.objects.get(pk=batch_id)
    if finished_now:  # a second run racing to the end does not announce it again
        batch_finished.send(Batch, batch=done)
    return progress(done)


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
