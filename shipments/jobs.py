"""Background jobs (django-q2). Each takes primary keys and re-reads inside the job."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.utils import timezone

from shipments import batches, labels, returns, voids
from shipments.models import Batch, Shipment

log = logging.getLogger(__name__)

# Left alone this long first, so the sweep doesn't race a request or batch still on it
# (resuming is safe anyway: the carrier and the ledger are idempotent on the label).
STALE_AFTER = dt.timedelta(minutes=2)


def resume_stale_batches() -> int:
    """Queue again every batch whose run is gone: no heartbeat for LABEL_BATCH_STALE_SECONDS.
    The Redis broker has no acknowledgements, so a batch whose worker died (a host lost) is
    in no queue any more; without this it would wait for the merchant to press Resume. Its
    pending items, those its dead runners had claimed too (a new run outranks their claims),
    are bought again with their own IntegratorTxIDs (R28): nothing twice."""
    resumed = 0
    for batch in Batch.objects.filter(status__in=[Batch.Status.QUEUED, Batch.Status.RUNNING]):
        if batches.resume(batch):
            log.info("batch %s had no heartbeat: queued again", batch.pk)
            resumed += 1
    return resumed


def sweep_labels(older_than: dt.timedelta | None = STALE_AFTER) -> int:
    """Finish labels nobody came back for (R14, R28): a purchase left ``buying`` and a void
    left ``voiding`` by a lost answer or a dead worker, so the carrier's charge or refund is
    recorded even if the merchant never retries; and resume batches whose worker is gone.
    Returns how many labels were finished."""
    resume_stale_batches()
    stuck = Shipment.objects.filter(
        status__in=[Shipment.Status.BUYING, Shipment.Status.VOIDING]
    ).select_related("order", "order__ship_from", "account", "return_of", "return_to")
    # A batch's worker resumes its own purchases (and marks its items) when it runs again.
    stuck = stuck.exclude(
        status=Shipment.Status.BUYING, batch__status__in=[Batch.Status.QUEUED, Batch.Status.RUNNING]
    )
    if older_than is not None:
        # created_at: a purchase's start; voids are rare enough to be checked on each pass.
        cutoff = timezone.now() - older_than
        stuck = stuck.exclude(status=Shipment.Status.BUYING, created_at__gt=cutoff)
    done = 0
    for shipment in stuck.order_by("pk"):
        try:
            if shipment.status == Shipment.Status.VOIDING:
                voids.void_label(shipment)
            elif shipment.is_return:
                returns.resume(shipment)
            else:
                labels.buy_label(shipment.order, shipment.account, shipment.service)
        except labels.LabelError as exc:
            log.warning("label %s still %s: %s", shipment.pk, shipment.status, exc.message)
            continue
        done += 1
    return done


def sweep_follow_ups(older_than: dt.timedelta | None = None) -> int:
    """Queue again the follow-up of bought labels whose ``labels.after_purchase`` job was
    lost (a worker died holding it: the Redis broker has no acknowledgements), so the
    customer's e-mail, webhooks and tracking still happen. A label counts as lost once it
    was bought LABEL_FOLLOW_UP_AFTER_SECONDS ago (``older_than``) and is still not followed
    up; the oldest LABEL_FOLLOW_UP_CHUNK a pass, found by one indexed query and queued as
    one job, so the sweep costs the same however many there are. Returns how many."""
    if older_than is None:
        older_than = dt.timedelta(seconds=settings.LABEL_FOLLOW_UP_AFTER_SECONDS)
    due = list(
        Shipment.objects.filter(
            status=Shipment.Status.BOUGHT,
            followed_up_at__isnull=True,
            bought_at__lt=timezone.now() - older_than,
        )
        .order_by("bought_at")
        .values_list("pk", flat=True)[: settings.LABEL_FOLLOW_UP_CHUNK]
    )
    if not due:
        return 0
    # What the lost job carried besides the label's id is gone with it.
    log.warning(
        "%s labels lost their follow-up job (their carrier call records with it): queued again: %s",
        len(due),
        due,
    )
    from django_q.tasks import async_task

    async_task(
        "shipments.labels.follow_up",
        due,
        task_name=f"follow-up-{due[0]}",
        cluster=settings.Q_SHORT_CLUSTER,
        broker=labels._broker(settings.Q_SHORT_CLUSTER),
    )
    return len(due)
