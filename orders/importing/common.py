"""Columns, row errors and results shared by the import steps."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from merchants.errors import MerchantError
from orders.models import Order

# ShipDesk field -> (the documented header, what it holds). The first 19 are DESIGN.md's.
COLUMNS: dict[str, tuple[str, str]] = {
    "order_number": ("Order Number", "Required. Rows with the same number are one order."),
    "order_date": (
        "Order Date",
        "2026-11-25, 2026-11-25 14:30 or 11/25/2026, in the store's time zone; blank = now.",
    ),
    "store": ("Store", "The sales channel or shop name."),
    "recipient_name": ("Recipient Name", "Required. First and last name."),
    "company": ("Company", ""),
    "street1": ("Address 1", "Required."),
    "street2": ("Address 2", ""),
    "city": ("City", "Required."),
    "state": (
        "State",
        "US state or Canadian province, as its code or name (IL or Illinois; AA, AE, AP for "
        "military mail).",
    ),
    "postal_code": ("Postal Code", "Required for US addresses."),
    "country": ("Country", "ISO code (CA) or English name (Canada); blank = United States."),
    "phone": ("Phone", ""),
    "email": ("Email", ""),
    "sku": ("SKU", ""),
    "item_name": ("Item Name", "Each row is one item of the order."),
    "quantity": ("Quantity", "Whole number, at least 1; blank = 1."),
    "unit_price": ("Unit Price", "In dollars, e.g. 12.50."),
    "item_weight_oz": ("Item Weight (oz)", "Ounces per unit."),
    "tags": ("Tags", "Comma-separated."),
    # Optional extras (recognised too, or mapped):
    "requested_service": ("Requested Service", "The shipping the customer chose."),
    "order_total": ("Order Total", "Blank = the sum of the items."),
    "status": ("Status", "Awaiting Shipment (default), On Hold, Shipped or Cancelled."),
    "package_type": ("Package Type", "Package, Letter, Large Envelope or Flat, Flat Rate Box…"),
    "residential": ("Residential", "Yes (default) or No for a business address."),
    "customs_description": ("Customs Description", "What the item is, for customs forms."),
    "hs_code": ("HS Code", "Harmonized System tariff number, e.g. 6912.00."),
    "origin_country": ("Origin Country", "Where the item was made; blank = United States."),
}
# R37c: a row with an incomplete address is imported and flagged, not rejected.
REQUIRED = ("order_number", "recipient_name")
ORDER_FIELDS = (
    "order_date",
    "store",
    "recipient_name",
    "company",
    "street1",
    "street2",
    "city",
    "state",
    "postal_code",
    "country",
    "phone",
    "email",
    "tags",
    "requested_service",
    "order_total",
    "status",
    "package_type",
    "residential",
)
ALIASES = {
    "order #": "order_number",
    "order no": "order_number",
    "order id": "order_number",
    "name": "recipient_name",
    "ship to name": "recipient_name",
    "address": "street1",
    "address line 1": "street1",
    "address line 2": "street2",
    "street": "street1",
    "zip": "postal_code",
    "zip code": "postal_code",
    "postcode": "postal_code",
    "province": "state",
    "qty": "quantity",
    "price": "unit_price",
    "weight (oz)": "item_weight_oz",
    "e-mail": "email",
}
MAX_LENGTHS: dict[str, int] = {
    f.name: f.max_length
    for f in Order._meta.concrete_fields
    if f.max_length
    and f.name in ORDER_FIELDS
    and f.name not in ("country", "status", "package_type")
} | {"order_number": 60, "sku": 60, "item_name": 200}
STATUS_WORDS = {
    "": Order.Status.AWAITING_SHIPMENT,
    "awaiting shipment": Order.Status.AWAITING_SHIPMENT,
    "awaiting_shipment": Order.Status.AWAITING_SHIPMENT,
    "open": Order.Status.AWAITING_SHIPMENT,
    "on hold": Order.Status.ON_HOLD,
    "on_hold": Order.Status.ON_HOLD,
    "shipped": Order.Status.SHIPPED,
    "cancelled": Order.Status.CANCELLED,
    "canceled": Order.Status.CANCELLED,
}
DATE_FORMATS = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y", "%m/%d/%y", "%Y/%m/%d")
HS_CODE = re.compile(r"^\d{4}(\.?\d{2}){1,3}$")
US_ZIP = re.compile(r"^\d{5}(-?\d{4})?$")
CHUNK_ORDERS = 1000
MAX_STORED_ERRORS = 1000


def fold(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").strip().lower().split())


KNOWN_HEADERS = {fold(label): key for key, (label, _) in COLUMNS.items()} | ALIASES


class MappingNeeded(Exception):
    """The file lacks required columns; the merchant must map its headers."""

    def __init__(self, headers: list[str], missing: list[str]):
        self.headers, self.missing = headers, missing
        names = ", ".join(COLUMNS[m][0] for m in missing)
        super().__init__(f"These required columns are missing: {names}. Map your headers.")


class UnreadableFile(MerchantError):
    pass


@dataclass
class RowError:
    row: int
    reason: str
    order_number: str = ""

    def as_dict(self) -> dict:
        return {"row": self.row, "order_number": self.order_number, "reason": self.reason}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    total_rows: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def orders(self) -> int:
        return self.created + self.updated


@dataclass
class OrderInput:
    """One order's rows: ``rows`` holds (row number, field -> text) in file order."""

    number: str
    rows: list[tuple[int, dict[str, str]]]


type Progress = Callable[[int, ImportResult], None]
