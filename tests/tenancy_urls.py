"""How to build merchant A's objects for every merchant URL that takes ids.

The tenancy crawl (tests/merchants/test_tenancy.py) fails when a merchant URL with
parameters is missing here, so each new URL must say how to reach one of A's objects.
Each entry: URL name -> function(merchant) -> the URL kwargs for an object of that merchant.
"""

from __future__ import annotations

from collections.abc import Callable

from merchants.models import Merchant
from tests.endofday.factories import make_pickup, make_scan_form
from tests.factories import (
    make_carrier_account,
    make_import_job,
    make_order,
    make_rule,
    make_ship_from,
)
from tests.shipments.factories import make_batch, make_shipment
from tests.tracking.factories import make_delivery, make_endpoint, make_parcel

OBJECT_URLS: dict[str, Callable[[Merchant], dict]] = {
    "order-detail": lambda m: {"pk": make_order(m, "T-1").pk},
    "order-package": lambda m: {"pk": make_order(m, "T-2").pk},
    "order-import-job": lambda m: {"pk": make_import_job(m).pk},
    "order-import-mapping": lambda m: {"pk": make_import_job(m, status="needs_mapping").pk},
    "automation-edit": lambda m: {"pk": make_rule(m).pk},
    "automation-delete": lambda m: {"pk": make_rule(m).pk},
    "carriers:verify": lambda m: {"pk": make_carrier_account(m, status="awaiting_verification").pk},
    "carriers:update-password": lambda m: {"pk": make_carrier_account(m).pk},
    "carriers:settings-popup": lambda m: {"pk": make_carrier_account(m).pk},
    "carriers:open-carrier-page": lambda m: {
        "pk": make_carrier_account(m).pk,
        "url_type": "AccountSettingsPage",
    },
    "carriers:make-default": lambda m: {"pk": make_carrier_account(m).pk},
    "carriers:disconnect": lambda m: {"pk": make_carrier_account(m).pk},
    "funding:account": lambda m: {"account_id": make_carrier_account(m).pk},
    "funding:add": lambda m: {"account_id": make_carrier_account(m).pk},
    "funding:sync": lambda m: {"account_id": make_carrier_account(m).pk},
    "funding:auto-funding": lambda m: {"account_id": make_carrier_account(m).pk},
    "funding:carrier-auto-buy-off": lambda m: {"account_id": make_carrier_account(m).pk},
    "funding:statement": lambda m: {
        "account_id": make_carrier_account(m).pk,
        "year": 2026,
        "month": 11,
    },
    "shipments:rates": lambda m: {"pk": make_order(m, "T-3").pk},
    "shipments:buy": lambda m: {"pk": make_order(m, "T-4").pk},
    "shipments:detail": lambda m: {"pk": make_shipment(m, "T-5").pk},
    "shipments:label": lambda m: {"pk": make_shipment(m, "T-6").pk},
    "shipments:void": lambda m: {"pk": make_shipment(m, "T-7").pk},
    "shipments:batch": lambda m: {"pk": make_batch(m, "T-8").pk},
    "shipments:batch-progress": lambda m: {"pk": make_batch(m, "T-9").pk},
    "shipments:batch-resume": lambda m: {"pk": make_batch(m, "T-10").pk},
    "shipments:batch-retry": lambda m: {"pk": make_batch(m, "T-10b").pk},
    "shipments:batch-pdf": lambda m: {"pk": make_batch(m, "T-11").pk},
    "endofday:scan-form": lambda m: {"pk": make_scan_form(m, "T-12").pk},
    "endofday:scan-form-pdf": lambda m: {"pk": make_scan_form(m, "T-13").pk},
    "endofday:pickup": lambda m: {"pk": make_pickup(m, "T-14").pk},
    "endofday:pickup-cancel": lambda m: {"pk": make_pickup(m, "T-15").pk},
    "endofday:location-settings": lambda m: {"pk": make_ship_from(m, is_default=False).pk},
    "locations:edit": lambda m: {"pk": make_ship_from(m, is_default=False).pk},
    "locations:make-default": lambda m: {"pk": make_ship_from(m, is_default=False).pk},
    "locations:delete": lambda m: {"pk": make_ship_from(m, is_default=False).pk},
    "tracking:order-panel": lambda m: {"pk": make_parcel(m, "T-16").shipment.order_id},
    "tracking:shipment-panel": lambda m: {"pk": make_parcel(m, "T-17").shipment_id},
    "tracking:refresh": lambda m: {"pk": make_parcel(m, "T-18").shipment_id},
    "tracking:webhook": lambda m: {"pk": make_endpoint(m).pk},
    "tracking:webhook-toggle": lambda m: {"pk": make_endpoint(m).pk},
    "tracking:webhook-replay": lambda m: {"pk": make_delivery(m).pk},
}
