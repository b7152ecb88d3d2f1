"""Listeners to the lower apps' signals: start tracking, e-mail the customer, emit webhooks.

A listener's failure is logged and never undoes or fails what the merchant did (the label is
bought; the poller adopts any label whose parcel was not created here)."""

from __future__ import annotations

import functools
import logging

from django.dispatch import receiver

from orders.models import Order
from orders.signals import orders_imported
from shipments.models import BatchItem
from shipments.signals import batch_finished, label_bought, label_voided
from tracking import notifications, polling, webhooks
from tracking.models import CustomerEmail, Parcel

log = logging.getLogger(__name__)


def safely(listener):
    @functools.wraps(listener)
    def wrapper(*args, **kwargs):
        try:
            listener(*args, **kwargs)
        except Exception:
            log.exception("tracking: %s failed", listener.__name__)

    return wrapper


@receiver(label_bought, dispatch_uid="tracking.label_bought")
@safely
def on_label_bought(sender, shipment, **kwargs) -> None:
    polling.start_tracking(shipment)
    # A return label's "shipped" e-mail would tell the buyer their order left again: the
    # merchant sends it on purpose instead (tracking.returns, R46).
    if shipment.order.email and not shipment.is_return:
        notifications.schedule(shipment.pk, CustomerEmail.Kind.SHIPPED)
    webhooks.emit(shipment.merchant_id, "label.bought", [webhooks.label_payload(shipment)])


@receiver(label_voided, dispatch_uid="tracking.label_voided")
@safely
def on_label_voided(sender, shipment, **kwargs) -> None:
    polling.stop_tracking(shipment, Parcel.Stop.VOIDED)
    webhooks.emit(shipment.merchant_id, "label.voided", [webhooks.label_payload(shipment)])


@receiver(batch_finished, dispatch_uid="tracking.batch_finished")
@safely
def on_batch_finished(sender, batch, **kwargs) -> None:
    counts = dict.fromkeys(BatchItem.Status.values, 0)
    for status in batch.items.values_list("status", flat=True):
        counts[status] += 1
    payload = {
        "batch": {
            "id": batch.pk,
            "total": batch.total,
            "bought": counts[BatchItem.Status.BOUGHT],
            "failed": counts[BatchItem.Status.FAILED],
            "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        }
    }
    webhooks.emit(batch.merchant_id, "batch.finished", [payload])


@receiver(orders_imported, dispatch_uid="tracking.orders_imported")
@safely
def on_orders_imported(sender, merchant, order_ids, **kwargs) -> None:
    if not webhooks.subscribed(merchant.pk, "order.imported"):
        return  # most stores have no webhooks: an import pays nothing more
    rows = Order.objects.filter(pk__in=order_ids).values(
        "pk", "number", "store", "status", "recipient_name", "country"
    )
    payloads = [
        {
            "order": {
                "id": r["pk"],
                "number": r["number"],
                "store": r["store"],
                "status": r["status"],
                "recipient_name": r["recipient_name"],
                "country": r["country"],
            }
        }
        for r in rows
    ]
    webhooks.emit(merchant.pk, "order.imported", payloads)
