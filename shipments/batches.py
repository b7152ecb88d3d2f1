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
import zoneinfo
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connections, transaction
from django.db.models import Count, Q
from django.utils import timezone

from carriers.models import CarrierAccount
from merchants.permissions import Perm, require
from orders.models import Order
from shipments import labels, printing, rating
from shipments.labels import LabelError, LabelPending, buy_label
from shipments.models import Batch, BatchItem, Shipment

PENDING_RETRIES = 2
HEARTBEAT_SECONDS = 5


class BatchError(Exception):
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
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(merchant.time_zone))
    ship_date = ship_date or today
    # Each label checks its own location's day too (labels.buy_label); this refuses a batch
    # nobody could buy before a single order is queued.
    if ship_date > labels.latest_ship_date(today):
        raise BatchError(
            f"The ship date can be at most {labels.MAX_DAYS_AHEAD} days ahead "
            f"(until {labels.latest_ship_date(today):%b %-d, %Y})."
        )
    with transaction.atomic():
        batch = Batch.objects.create(
            merchant=merchant, account=account, ship_date=ship_date, total=len(ids), created_by=user
        )
        BatchItem.objects.bulk_create(
            BatchItem(batch=batch, order_id=order_id, position=n) for n, order_id in enumerate(ids)
        )
        transaction.on_commit(lambda: enqueue(batch))
    return batch


def enqueue(batch: Batch) -> None:
    from django_q.tasks import async_task

    async_task("shipments.batches.run_batch", batch.pk, task_name=f"labels-{batch.pk}-{batch.runs}")


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


def _buy_item(item: BatchItem, batch: Batch) -> tuple[str, str, Shipment | None]:
    order = item.order
    if not order.service:
        return BatchItem.Status.FAILED, "Choose a service for this order.", None
    service = rating.carrier_service(order.service)
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
    Batch.objects.filter(pk=batch_id).update(
        status=Batch.Status.DONE, finished_at=timezone.now(), heartbeat_at=timezone.now()
    )
    return progress(Batch.objects.get(pk=batch_id))


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


def combined_pdf(batch: Batch, layout: str = "4x6", slip: bool = False) -> bytes:
    """Every label of the batch in one document (rendered once per layout and kept)."""
    default = layout == "4x6" and not slip
    if default and batch.finished and batch.combined_pdf:
        try:
            with batch.combined_pdf.open("rb") as f:
                return f.read()
        except FileNotFoundError:
            pass
    data = printing.render_pdf(bought_shipments(batch), layout, slip)
    if default and batch.finished:
        batch.combined_pdf.save(f"batch-{batch.pk}.pdf", ContentFile(data), save=False)
        Batch.objects.filter(pk=batch.pk).update(combined_pdf=batch.combined_pdf.name)
    return data
