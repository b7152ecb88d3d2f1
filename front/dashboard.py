from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from carriers.models import CarrierAccount
from locations.models import ShipFromLocation
from merchants.models import Merchant
from merchants.permissions import Perm
from orders.models import Order


@dataclass(frozen=True)
class Step:
    title: str
    url: str
    done: bool
    # What the step's page needs to be opened: a role without it sees the step, not a link.
    needs: Perm


def dashboard_summary(merchant: Merchant, *, balance: bool) -> dict:
    """The store's counts and set-up steps; the postage balance only when ``balance`` (the
    member's role sees funds: merchants.permissions.Perm.FUNDS_VIEW)."""
    counts = Order.objects.for_merchant(merchant).aggregate(
        awaiting=Count("pk", filter=Q(status=Order.Status.AWAITING_SHIPMENT)),
        on_hold=Count("pk", filter=Q(status=Order.Status.ON_HOLD)),
        shipped=Count("pk", filter=Q(status=Order.Status.SHIPPED)),
        total=Count("pk"),
    )
    accounts = CarrierAccount.objects.for_merchant(merchant).connected()
    money = accounts.aggregate(
        usable=Count("pk", filter=Q(status=CarrierAccount.Status.ACTIVE)),
        balance=Sum("balance", filter=Q(status=CarrierAccount.Status.ACTIVE)),
    )
    has_location = ShipFromLocation.objects.for_merchant(merchant).exists()
    if balance:
        counts["balance"] = money["balance"]
    counts["steps"] = [
        Step("Add the address you ship from", "/settings/locations/", has_location, Perm.VIEW),
        Step(
            "Connect a Stamps.com account, or create a free one",
            "/settings/carriers/",
            money["usable"] > 0,
            Perm.CARRIERS_VIEW,
        ),
        Step("Add postage funds", "/funds/", bool(money["balance"]), Perm.FUNDS_VIEW),
        Step("Import your orders", "/orders/import/", counts["total"] > 0, Perm.ORDERS),
    ]
    counts["setup_done"] = all(step.done for step in counts["steps"])
    return counts
