"""Tracking e-mails to the customer (R29)."""

from __future__ import annotations

from django.core.mail import send_mail
from django.utils import timezone

from shipments.models import Shipment, ShippingSettings

FIRST_CLASS_INTL = "US-FCI"


def shares_tracking(shipment: Shipment, prefs: ShippingSettings) -> bool:
    """R29: First-Class Mail International tracking numbers stay out of customer and
    marketplace notifications unless the merchant turned that on."""
    if not shipment.tracking_number:
        return False
    return shipment.service != FIRST_CLASS_INTL or prefs.share_fci_tracking


def notification_payload(shipment: Shipment, prefs: ShippingSettings | None = None) -> dict:
    """What customers and marketplaces are told about a shipped order."""
    prefs = prefs or ShippingSettings.get_for(shipment.merchant_id)
    payload = {
        "order_number": shipment.order.number,
        "carrier": "USPS",
        "service": shipment.service_name or shipment.service,
        "ship_date": shipment.ship_date.isoformat(),
    }
    if shares_tracking(shipment, prefs):
        payload["tracking_number"] = shipment.tracking_number
        payload["tracking_url"] = shipment.tracking_url
    return payload


def notify_customer(shipment_id: int) -> bool:
    shipment = Shipment.objects.select_related("order").get(pk=shipment_id)
    prefs = ShippingSettings.get_for(shipment.merchant_id)
    order = shipment.order
    if not prefs.notify_customers or not order.email or shipment.notified_at:
        return False
    if shipment.status != Shipment.Status.BOUGHT:
        return False
    data = notification_payload(shipment, prefs)
    lines = [
        f"Hello {order.recipient_name},",
        "",
        f"Your order {data['order_number']} ships on {data['ship_date']} with {data['service']}.",
    ]
    if "tracking_number" in data:
        lines += [f"Tracking number: {data['tracking_number']}", data["tracking_url"]]
    send_mail(f"Your order {order.number} has shipped", "\n".join(lines), None, [order.email])
    Shipment.objects.filter(pk=shipment.pk).update(notified_at=timezone.now())
    return True


def schedule_notification(shipment_id: int, customer_email: str) -> None:
    from django_q.tasks import async_task

    if customer_email:  # most marketplace orders carry none: no task to queue
        async_task("shipments.notifications.notify_customer", shipment_id)
