"""Builders for labels and batches (no carrier calls)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from merchants.models import Merchant
from shipments.models import Batch, BatchItem, Shipment
from tests.factories import make_carrier_account, make_order, make_ship_from


def make_shipment(merchant: Merchant, number: str = "L-1", **overrides) -> Shipment:
    ship_from = make_ship_from(merchant, name=f"Warehouse {number}", is_default=False)
    order = make_order(merchant, number, ship_from=ship_from, status="shipped")
    account = make_carrier_account(merchant, nickname=f"Labels {number}")
    fields = {
        "merchant": merchant,
        "order": order,
        "account": account,
        "ship_from": ship_from,
        "service": "US-PM",
        "service_name": "Priority Mail",
        "package_type": "Package",
        "weight_oz": Decimal("20.0"),
        "postage": Decimal("9.40"),
        "amount": Decimal("9.40"),
        "ship_date": timezone.localdate(),
        "tracking_number": "9205511000000000000018",
        "stamps_tx_id": "00000000-0000-0000-0000-000000000001",
        "status": Shipment.Status.BOUGHT,
        "bought_at": timezone.now(),
    }
    fields.update(overrides)
    return Shipment.objects.create(**fields)


def make_batch(merchant: Merchant, number: str = "B-1", **overrides) -> Batch:
    account = make_carrier_account(merchant, nickname=f"Batch {number}")
    fields = {"merchant": merchant, "account": account, "ship_date": timezone.localdate()}
    fields.update(overrides)
    batch = Batch.objects.create(total=1, **fields)
    BatchItem.objects.create(batch=batch, order=make_order(merchant, number), position=0)
    return batch
