"""Builders for SCAN forms and pickups (no carrier calls)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from endofday.models import Pickup, ScanForm, ScanFormLabel
from merchants.models import Merchant
from tests.factories import make_ship_from
from tests.shipments.factories import make_shipment


def make_scan_form(merchant: Merchant, number: str = "SF-1", **overrides) -> ScanForm:
    shipment = make_shipment(merchant, number)
    fields = {
        "merchant": merchant,
        "account": shipment.account,
        "location": shipment.order.ship_from,
        "ship_date": shipment.ship_date,
        "status": ScanForm.Status.CREATED,
        "manifest_id": f"SCAN-{number}",
        "label_count": 1,
    }
    fields.update(overrides)
    form = ScanForm.objects.create(**fields)
    ScanFormLabel.objects.create(scan_form=form, shipment=shipment)
    return form


def make_pickup(merchant: Merchant, number: str = "P-1", **overrides) -> Pickup:
    from tests.factories import make_carrier_account

    fields = {
        "merchant": merchant,
        "account": make_carrier_account(merchant, nickname=f"Pickups {number}"),
        "location": make_ship_from(merchant, name=f"Dock {number}", is_default=False),
        "requested_date": timezone.localdate() + dt.timedelta(days=1),
        "pickup_date": timezone.localdate() + dt.timedelta(days=1),
        "confirmation_number": f"WTC-{number}",
        "status": Pickup.Status.SCHEDULED,
        "package_count": 2,
        "total_weight_lb": 3,
        "contact_phone": "7185550100",
    }
    fields.update(overrides)
    return Pickup.objects.create(**fields)
