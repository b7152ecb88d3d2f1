from __future__ import annotations

from django.db.models import Count, Q

from orders.models import Order
from shipdesk.models import Merchant


def dashboard_summary(merchant: Merchant) -> dict:
    counts = Order.objects.for_merchant(merchant).aggregate(
        awaiting=Count("pk", filter=Q(status=Order.Status.AWAITING_SHIPMENT)),
        on_hold=Count("pk", filter=Q(status=Order.Status.ON_HOLD)),
        shipped=Count("pk", filter=Q(status=Order.Status.SHIPPED)),
    )
    return counts
