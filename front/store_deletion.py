"""Deleting a store (owner only).

A deleted store is closed, not erased: nobody can open it, switch to it, import into it or buy
with it, but its ledger, labels, carrier calls and activity log stay. A support agent asked
"where did my postage go?" or "was this label refunded?" weeks later needs exactly those rows;
USPS refunds a void up to about 21 days after it is asked for (R41), and the ledger is
append-only by design (R14), so erasing it would destroy the proof of money that still sits at
Stamps.com. The store's row keeps who deleted it and when, and the activity log says so.

What happens:
- carrier accounts are disconnected (their passwords dropped), so nothing can buy or fund;
- open invitations are revoked, the order API key is deleted, webhook endpoints and
  ShipDesk's auto-funding are switched off;
- the store disappears from every member's store switcher.

What stops it:
- money or labels in flight (a postage purchase not yet confirmed, a label being bought or
  voided, a batch queued or running): wait for it, always; finishing it needs the carrier
  account that deletion disconnects;
- a non-zero balance on a connected carrier account, or labels still inside the 28-day void
  window (R27): the owner may go on only by saying they understand. The balance is the
  merchant's money at Stamps.com (ShipDesk cannot pay it out) and stays usable there; unused
  labels can then only be voided at Stamps.com, not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from carriers import services as carrier_services
from carriers.models import CarrierAccount
from funding.models import AutoFunding, PostagePurchase
from merchants import events
from merchants.errors import MerchantError
from merchants.models import Merchant
from merchants.permissions import Perm, require
from orders.models import ApiKey
from shipments.models import VOID_WINDOW, Batch, Shipment
from tracking.models import WebhookEndpoint

ZERO = Decimal("0.00")


class StoreDeletionError(MerchantError):
    pass


@dataclass
class DeletionCheck:
    """What deleting the store now would cut short, in the owner's words."""

    in_flight: list[str] = field(default_factory=list)  # wait: never acknowledged away
    balances: list[tuple[str, Decimal]] = field(default_factory=list)  # (nickname, balance)
    voidable_labels: int = 0
    voidable_postage: Decimal = ZERO

    @property
    def needs_balance_ack(self) -> bool:
        return bool(self.balances)

    @property
    def needs_labels_ack(self) -> bool:
        return self.voidable_labels > 0


def check_deletion(merchant: Merchant) -> DeletionCheck:
    """A handful of counting queries, whatever the store's size."""
    check = DeletionCheck()
    purchases = PostagePurchase.objects.for_merchant(merchant).filter(
        status__in=PostagePurchase.IN_FLIGHT
    )
    if n := purchases.count():
        check.in_flight.append(f"{n} postage purchase{'s' if n > 1 else ''} not confirmed yet")
    shipments = Shipment.objects.for_merchant(merchant)
    if n := shipments.filter(status=Shipment.Status.BUYING).count():
        check.in_flight.append(f"{n} label{'s' if n > 1 else ''} being bought")
    if n := shipments.filter(status=Shipment.Status.VOIDING).count():
        check.in_flight.append(f"{n} label{'s' if n > 1 else ''} being voided")
    batches = Batch.objects.for_merchant(merchant).filter(
        status__in=[Batch.Status.QUEUED, Batch.Status.RUNNING]
    )
    if n := batches.count():
        check.in_flight.append(f"{n} label batch{'es' if n > 1 else ''} still running")
    accounts = CarrierAccount.objects.for_merchant(merchant).connected().exclude(balance=ZERO)
    check.balances = list(accounts.order_by("nickname").values_list("nickname", "balance"))
    since = timezone.now() - VOID_WINDOW
    voidable = shipments.filter(status=Shipment.Status.BOUGHT).filter(
        Q(bought_at__gt=since) | Q(bought_at__isnull=True, created_at__gt=since)
    )
    totals = voidable.aggregate(n=Count("pk"), postage=Sum("amount"))
    check.voidable_labels = totals["n"] or 0
    # SQLite sums decimals as floats: back to cents.
    check.voidable_postage = Decimal(totals["postage"] or ZERO).quantize(Decimal("0.01"))
    return check


def delete_store(
    merchant: Merchant, by, *, typed_name: str, balance_ack: bool, labels_ack: bool
) -> None:
    """Close ``merchant`` for good (see the module's docstring); raises StoreDeletionError in
    the owner's words and changes nothing when it can't."""
    require(by, merchant, Perm.OWN)
    if typed_name.strip() != merchant.name:
        raise StoreDeletionError(f"Type the store's name exactly as shown: {merchant.name}")
    with transaction.atomic():
        # One deletion at a time, and none racing a second click.
        merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
        if merchant.deleted_at is not None:
            raise StoreDeletionError(f"{merchant} is already deleted.")
        check = check_deletion(merchant)
        if check.in_flight:
            raise StoreDeletionError(
                "Wait a minute and try again: "
                + "; ".join(check.in_flight)
                + ". Deleting now would cut them off halfway."
            )
        if check.needs_balance_ack and not balance_ack:
            raise StoreDeletionError(
                "Your Stamps.com balance is not zero: tick the box to say you understand it "
                "stays at Stamps.com."
            )
        if check.needs_labels_ack and not labels_ack:
            raise StoreDeletionError(
                "Some labels can still be voided for a refund: void the ones you won't use "
                "first, or tick the box to say you understand."
            )
        why = "the store was deleted"
        for account in CarrierAccount.objects.for_merchant(merchant).connected():
            carrier_services.disconnect(account, by, why=why)
        merchant.invitations.filter(accepted_at=None, revoked_at=None).update(
            revoked_at=timezone.now()
        )
        ApiKey.objects.for_merchant(merchant).delete()
        WebhookEndpoint.objects.for_merchant(merchant).update(is_active=False)
        AutoFunding.objects.for_merchant(merchant).update(enabled=False)
        merchant.deleted_at = timezone.now()
        merchant.deleted_by = by
        merchant.save(update_fields=["deleted_at", "deleted_by"])
        detail = []
        if check.balances:
            total = sum((b for _, b in check.balances), ZERO)
            detail.append(f"${total:,.2f} left at Stamps.com")
        if check.voidable_labels:
            detail.append(f"{check.voidable_labels} label(s) still voidable")
        events.record(
            merchant,
            by,
            events.Action.STORE_DELETED,
            subject=merchant.name,
            detail="; ".join(detail) or "nothing left at the carrier",
        )
