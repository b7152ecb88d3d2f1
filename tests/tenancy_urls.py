"""How to build merchant A's objects for every merchant URL that takes ids, and what each
role may do on every merchant URL.

The tenancy crawl (tests/merchants/test_tenancy.py) fails when a merchant URL with
parameters is missing here, so each new URL must say how to reach one of A's objects.
Each entry: URL name -> function(merchant) -> the URL kwargs for an object of that merchant.
"""

from __future__ import annotations

from collections.abc import Callable

from merchants.models import Merchant
from merchants.permissions import Perm
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


def make_invitation(merchant: Merchant):
    from merchants.models import Invitation

    n = Invitation.objects.count()
    return Invitation.objects.create(merchant=merchant, email=f"inv{n}@x.test", role="shipper")


def make_saved_view(merchant: Merchant):
    from orders.models import SavedView

    owner = merchant.memberships.order_by("pk")[0].user
    return SavedView.objects.create(
        merchant=merchant, user=owner, name="Canada", query="country=CA"
    )


def make_staff_membership(merchant: Merchant):
    from tests.factories import make_member

    n = merchant.memberships.count()
    return merchant.memberships.get(user=make_member(merchant, f"m{n}@{merchant.slug}.test"))


OBJECT_URLS: dict[str, Callable[[Merchant], dict]] = {
    "members:resend": lambda m: {"pk": make_invitation(m).pk},
    "members:revoke": lambda m: {"pk": make_invitation(m).pk},
    "members:role": lambda m: {"pk": make_staff_membership(m).pk},
    "members:remove": lambda m: {"pk": make_staff_membership(m).pk},
    "members:transfer": lambda m: {"pk": make_staff_membership(m).pk},
    "order-detail": lambda m: {"pk": make_order(m, "T-1").pk},
    "order-package": lambda m: {"pk": make_order(m, "T-2").pk},
    "order-address": lambda m: {"pk": make_order(m, "T-2a").pk},
    "order-view-delete": lambda m: {"pk": make_saved_view(m).pk},
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
    "shipments:ship-to": lambda m: {"pk": make_order(m, "T-4b").pk},
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
    "tracking:return-new": lambda m: {"pk": make_shipment(m, "T-18b").pk},
    "tracking:return-email": lambda m: {"pk": make_shipment(m, "T-18c").pk},
    "tracking:webhook": lambda m: {"pk": make_endpoint(m).pk},
    "tracking:webhook-toggle": lambda m: {"pk": make_endpoint(m).pk},
    "tracking:webhook-replay": lambda m: {"pk": make_delivery(m).pk},
}


def both(perm: Perm) -> tuple[Perm, Perm]:
    return perm, perm


# The permission table the crawl holds every view to: URL name -> (permission to look with
# GET/HEAD/OPTIONS, permission for every other method). Written out here, not read from the
# views, so a view that forgets or weakens its declaration disagrees with it.
# Roles: merchants.permissions.ROLE_PERMISSIONS.
URL_PERMISSIONS: dict[str, tuple[Perm, Perm]] = {
    "home": both(Perm.VIEW),
    "switch-merchant": both(Perm.VIEW),
    "settings": (Perm.VIEW, Perm.OWN),
    "delete-store": both(Perm.OWN),
    "members:list": (Perm.VIEW, Perm.MEMBERS),
    "members:require-two-step": both(Perm.OWN),
    "members:resend": both(Perm.MEMBERS),
    "members:revoke": both(Perm.MEMBERS),
    "members:role": both(Perm.MEMBERS),
    "members:remove": both(Perm.MEMBERS),
    "members:transfer": both(Perm.OWN),
    "locations:list": (Perm.VIEW, Perm.SETTINGS),
    "locations:new": both(Perm.SETTINGS),
    "locations:edit": both(Perm.SETTINGS),
    "locations:make-default": both(Perm.SETTINGS),
    "locations:delete": both(Perm.SETTINGS),
    "carriers:list": both(Perm.CARRIERS_VIEW),
    "carriers:connect": both(Perm.CONNECT_CARRIER),
    "carriers:connect-existing": both(Perm.CONNECT_CARRIER),
    "carriers:connect-new": both(Perm.CONNECT_CARRIER),
    "carriers:verify": both(Perm.CARRIERS),
    "carriers:update-password": both(Perm.CARRIERS),
    "carriers:settings-popup": both(Perm.CARRIERS),
    "carriers:open-carrier-page": both(Perm.CARRIERS),
    "carriers:make-default": both(Perm.CARRIERS),
    "carriers:disconnect": both(Perm.CARRIERS),
    "funding:home": both(Perm.FUNDS_VIEW),
    "funding:ledger-csv": both(Perm.FUNDS_VIEW),
    "funding:account": both(Perm.FUNDS_VIEW),
    "funding:add": (Perm.FUNDS_VIEW, Perm.ADD_FUNDS),
    "funding:sync": (Perm.FUNDS_VIEW, Perm.CARRIERS),
    "funding:auto-funding": (Perm.FUNDS_VIEW, Perm.AUTO_FUNDING),
    "funding:carrier-auto-buy-off": (Perm.FUNDS_VIEW, Perm.AUTO_FUNDING),
    "funding:statement": both(Perm.FUNDS_VIEW),
    "order-list": (Perm.VIEW, Perm.ORDERS),
    "order-new": both(Perm.ORDERS),
    "order-reapply-rules": both(Perm.ORDERS),
    "order-bulk": both(Perm.ORDERS),
    # A saved view is one person's way of looking at the list: viewers may keep theirs.
    "order-view-save": both(Perm.VIEW),
    "order-view-delete": both(Perm.VIEW),
    "order-detail": (Perm.VIEW, Perm.ORDERS),
    "order-package": (Perm.VIEW, Perm.ORDERS),
    "order-address": both(Perm.ORDERS),
    "order-import": both(Perm.ORDERS),
    "order-import-sample": (Perm.VIEW, Perm.ORDERS),
    "order-import-job": (Perm.VIEW, Perm.ORDERS),
    "order-import-mapping": both(Perm.ORDERS),
    "api-key-settings": both(Perm.SETTINGS),
    "api-key-rotate": both(Perm.SETTINGS),
    "automation": (Perm.VIEW, Perm.RULES),
    "automation-new": both(Perm.RULES),
    "automation-preview": both(Perm.RULES),
    "automation-edit": both(Perm.RULES),
    "automation-move": both(Perm.RULES),
    "automation-delete": both(Perm.RULES),
    "shipments:rates": (Perm.VIEW, Perm.ORDERS),
    "shipments:buy": both(Perm.BUY_LABELS),
    "shipments:ship-to": both(Perm.ORDERS),  # choosing the checked address edits the order
    "shipments:calculator": (Perm.VIEW, Perm.ORDERS),
    "shipments:list": (Perm.VIEW, Perm.LABELS),
    "shipments:settings": (Perm.VIEW, Perm.SETTINGS),
    "shipments:print": (Perm.VIEW, Perm.LABELS),
    "shipments:queue": (Perm.VIEW, Perm.LABELS),
    "shipments:slips": (Perm.VIEW, Perm.LABELS),
    "shipments:my-printing": both(Perm.VIEW),
    "shipments:void-selected": both(Perm.LABELS),
    "shipments:detail": (Perm.VIEW, Perm.LABELS),
    "shipments:label": (Perm.VIEW, Perm.LABELS),
    "shipments:void": both(Perm.LABELS),
    "shipments:batches": (Perm.VIEW, Perm.BUY_LABELS),
    "shipments:batch": (Perm.VIEW, Perm.LABELS),
    "shipments:batch-progress": (Perm.VIEW, Perm.LABELS),
    "shipments:batch-resume": both(Perm.BUY_LABELS),
    "shipments:batch-retry": both(Perm.BUY_LABELS),
    "shipments:batch-pdf": (Perm.VIEW, Perm.LABELS),
    "endofday:scan-forms": (Perm.VIEW, Perm.LABELS),
    "endofday:scan-form": (Perm.VIEW, Perm.LABELS),
    "endofday:scan-form-pdf": (Perm.VIEW, Perm.LABELS),
    "endofday:pickups": (Perm.VIEW, Perm.LABELS),
    "endofday:pickup-date-note": (Perm.VIEW, Perm.LABELS),
    "endofday:pickup": (Perm.VIEW, Perm.LABELS),
    "endofday:pickup-cancel": both(Perm.LABELS),
    "endofday:settings": (Perm.VIEW, Perm.SETTINGS),
    "endofday:location-settings": (Perm.VIEW, Perm.SETTINGS),
    "tracking:order-panel": both(Perm.VIEW),
    "tracking:shipment-panel": both(Perm.VIEW),
    "tracking:refresh": both(Perm.LABELS),
    # A return label is bought like any label (R46).
    "tracking:return-new": both(Perm.BUY_LABELS),
    "tracking:return-email": both(Perm.BUY_LABELS),
    "tracking:branding": (Perm.VIEW, Perm.SETTINGS),
    "tracking:preview": (Perm.VIEW, Perm.SETTINGS),
    "tracking:webhooks": both(Perm.SETTINGS),
    "tracking:webhook": both(Perm.SETTINGS),
    "tracking:webhook-toggle": both(Perm.SETTINGS),
    "tracking:webhook-replay": both(Perm.SETTINGS),
}
