"""Checking and converting each row, with a reason that names the fix."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.validators import validate_email
from django.utils import timezone

from locations.regions import region_code
from orders.catalog import PACKAGE_TYPE_ALIASES
from orders.countries import country_code
from orders.importing.common import (
    COLUMNS,
    DATE_FORMATS,
    HS_CODE,
    MAX_LENGTHS,
    REQUIRED,
    STATUS_WORDS,
    US_ZIP,
    OrderInput,
    RowError,
    fold,
)
from orders.models import OrderItem


def parse_decimal(text: str, what: str, *, minimum: Decimal = Decimal(0)) -> Decimal:
    cleaned = text.replace("$", "").replace(",", "").strip()
    try:
        value = Decimal(cleaned) if cleaned else Decimal(0)
    except InvalidOperation:
        raise ValueError(f"{what} '{text}' is not a number (use digits like 12.50).") from None
    if not value.is_finite() or value < minimum or value >= Decimal("100000000"):
        raise ValueError(f"{what} '{text}' is out of range.")
    return value.quantize(Decimal("0.01"))


# The years an order can be dated in: the order list's date filter names the same ones.
ORDER_DATE_YEARS = range(1900, 2200)


def parse_date(text: str, now: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """An Order Date. One written without a UTC offset is the store's own date and time
    (``zone``), as its shop exported it: read as UTC, a Los Angeles order of 8:15 PM on
    June 30 showed as 1:15 PM, and a bare June 30 as June 29."""
    if not text:
        return now
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        for fmt in DATE_FORMATS:
            try:
                value = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError(
                f"Order Date '{text}' is not a date: use 2026-11-25 or 11/25/2026."
            ) from None
    # Checked before any time zone is applied: shown in the store's zone, an order of year 1
    # falls before the first day there is (the order list was a server error), and 9999-12-31
    # at UTC-12 is past the last one.
    if value.year not in ORDER_DATE_YEARS:
        raise ValueError(
            f"Order Date '{text}' is out of range: use a date between "
            f"{ORDER_DATE_YEARS[0]} and {ORDER_DATE_YEARS[-1]}, like 2026-11-25."
        )
    if timezone.is_naive(value):
        value = timezone.make_aware(value, zone)
    return value


def parse_package_type(text: str) -> str:
    if text.strip().lower() == "cubic":
        # R20: Stamps.com has no "Cubic" package type; cubic prices come from Package.
        raise ValueError(
            "Package Type 'Cubic' does not exist at USPS/Stamps.com: use Package, enter the "
            "dimensions and weight, and choose Priority Mail to get cubic pricing."
        )
    value = PACKAGE_TYPE_ALIASES.get(text.strip().lower())
    if value is None:
        raise ValueError(f"Package Type '{text}' is unknown: use Package, Letter, Flat Rate Box…")
    return value


def check_order_fields(values: dict[str, str], now: dt.datetime, zone: dt.tzinfo) -> dict:
    """Order-level values of an order's first row, converted (dates without an offset in
    ``zone``, the store's); raises ValueError with a fix."""
    problems = []
    for name in REQUIRED:
        if not values.get(name):
            problems.append(f"{COLUMNS[name][0]} is empty.")
    for name, limit in MAX_LENGTHS.items():
        if len(values.get(name, "")) > limit:
            problems.append(f"{COLUMNS[name][0]} is longer than {limit} characters.")
    out: dict = {}
    country = values.get("country", "")
    code = country_code(country) if country else "US"
    if code is None:
        problems.append(
            f"Country '{country}' is unknown: use a two-letter code like CA or a name like Canada."
        )
    out["country"] = code or "US"
    postal = values.get("postal_code", "")
    state = values.get("state", "")
    if out["country"] == "US" and postal and not US_ZIP.match(postal):
        problems.append(f"Postal Code '{postal}' is not a US ZIP code (12345 or 12345-6789).")
    # "Illinois" becomes IL; a state that is not one is kept as typed and the order is
    # flagged "address needs attention" (R37c) rather than the row refused.
    state = region_code(out["country"], state) or state
    email = values.get("email", "")
    if email:
        try:
            validate_email(email)
        except Exception:
            problems.append(f"Email '{email}' is not an e-mail address.")
    status = STATUS_WORDS.get(fold(values.get("status", "")))
    if status is None:
        problems.append(
            f"Status '{values['status']}' is unknown: use Awaiting Shipment, On Hold, Shipped "
            "or Cancelled."
        )
    try:
        out["order_date"] = parse_date(values.get("order_date", ""), now, zone)
    except ValueError as exc:
        problems.append(str(exc))
    for name in ("order_total",):
        if values.get(name):
            try:
                out[name] = parse_decimal(values[name], COLUMNS[name][0])
            except ValueError as exc:
                problems.append(str(exc))
    if values.get("package_type"):
        try:
            out["package_type"] = parse_package_type(values["package_type"])
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ValueError(" ".join(problems))
    out.update(
        store=values.get("store", ""),
        recipient_name=values["recipient_name"],
        company=values.get("company", ""),
        street1=values.get("street1", ""),
        street2=values.get("street2", ""),
        city=values.get("city", ""),
        state=state,
        postal_code=postal,
        phone=values.get("phone", ""),
        email=email,
        tags=", ".join(t.strip() for t in values.get("tags", "").split(",") if t.strip()),
        requested_service=values.get("requested_service", ""),
        status=status,
        residential=fold(values.get("residential", ""))
        not in ("no", "n", "false", "0", "business"),
    )
    return out


def check_item(values: dict[str, str]) -> OrderItem | None:
    sku, name = values.get("sku", ""), values.get("item_name", "")
    if not sku and not name:
        if any(values.get(k) for k in ("quantity", "unit_price", "item_weight_oz")):
            raise ValueError("Item Name or SKU is empty but the row has item details.")
        return None
    problems = []
    if len(sku) > 60:
        problems.append("SKU is longer than 60 characters.")
    if len(name) > 200:
        problems.append("Item Name is longer than 200 characters.")
    quantity = values.get("quantity", "") or "1"
    try:
        qty = int(quantity)
        if not 1 <= qty <= 100000:
            raise ValueError
    except ValueError:
        problems.append(f"Quantity '{quantity}' must be a whole number of at least 1.")
        qty = 1
    price = weight = Decimal(0)
    try:
        price = parse_decimal(values.get("unit_price", ""), "Unit Price")
    except ValueError as exc:
        problems.append(str(exc))
    try:
        weight = parse_decimal(values.get("item_weight_oz", ""), "Item Weight (oz)")
        if weight >= Decimal("1000000"):
            raise ValueError("Item Weight (oz) is out of range.")
    except ValueError as exc:
        problems.append(str(exc))
    hs_code = values.get("hs_code", "")
    if hs_code and not HS_CODE.match(hs_code):
        problems.append(f"HS Code '{hs_code}' must be 6 to 10 digits, dots allowed (6912.00).")
    origin_raw = values.get("origin_country", "")
    origin = country_code(origin_raw) if origin_raw else "US"
    if origin is None:
        problems.append(f"Origin Country '{origin_raw}' is unknown: use a code like CN.")
    description = values.get("customs_description", "")
    if len(description) > 100:
        problems.append("Customs Description is longer than 100 characters.")
    if problems:
        raise ValueError(" ".join(problems))
    return OrderItem(
        sku=sku,
        name=name or sku,
        quantity=qty,
        unit_price=price,
        weight_oz=weight,
        customs_description=description or (name or sku)[:100],
        hs_code=hs_code,
        origin_country=origin or "",  # None was refused above
    )


@dataclass
class CheckedOrder:
    number: str
    fields: dict
    items: list[OrderItem]
    rows: list[int]


def check_order(
    order_input: OrderInput, now: dt.datetime, zone: dt.tzinfo
) -> CheckedOrder | list[RowError]:
    errors: list[RowError] = []
    first_row, first_values = order_input.rows[0]
    max_items = settings.ORDERS_MAX_ITEMS_PER_ORDER
    if len(order_input.rows) > max_items:
        # One order is one label: thousands of rows under one number are an abuse, not a sale.
        reason = (
            f"Order {order_input.number} has {len(order_input.rows):,} items; an order holds at "
            f"most {max_items}. Split it into several orders."
        )
        return [RowError(row, reason, order_input.number) for row, _ in order_input.rows]
    fields: dict = {}
    try:
        fields = check_order_fields(first_values, now, zone)
    except ValueError as exc:
        errors.append(RowError(first_row, str(exc), order_input.number))
    items = []
    for row, values in order_input.rows:
        try:
            item = check_item(values)
        except ValueError as exc:
            if errors and errors[-1].row == row:
                errors[-1].reason += " " + str(exc)
            else:
                errors.append(RowError(row, str(exc), order_input.number))
            continue
        if item is not None:
            items.append(item)
    if errors:
        bad = {e.row for e in errors}
        first_bad = min(bad)
        errors += [
            RowError(
                row,
                f"Not imported: order {order_input.number} is imported whole, and row "
                f"{first_bad} has errors.",
                order_input.number,
            )
            for row, _ in order_input.rows
            if row not in bad
        ]
        return sorted(errors, key=lambda e: e.row)
    if "order_total" not in fields:
        fields["order_total"] = sum((i.unit_price * i.quantity for i in items), Decimal("0.00"))
    return CheckedOrder(order_input.number, fields, items, [r for r, _ in order_input.rows])
