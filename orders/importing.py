"""Order import: CSV files (upload and command line) and JSON (the API) share one pipeline.

An order is imported whole or not at all: when any of its rows is bad, every row of that
order is reported and none of them goes in, while other orders still import. Re-importing
an order number updates the order (address and items) instead of creating a second one;
rules run only for new orders entering Awaiting Shipment or On Hold (R36, R15).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from orders import rules as rules_mod
from orders.catalog import PACKAGE_TYPE_ALIASES
from orders.countries import country_code
from orders.models import ImportMapping, Order, OrderItem, OrderRuleChange
from shipdesk.models import Merchant

# ShipDesk field -> (the documented header, what it holds). The first 19 are DESIGN.md's.
COLUMNS: dict[str, tuple[str, str]] = {
    "order_number": ("Order Number", "Required. Rows with the same number are one order."),
    "order_date": ("Order Date", "2026-11-25, 2026-11-25 14:30 or 11/25/2026; blank = now."),
    "store": ("Store", "The sales channel or shop name."),
    "recipient_name": ("Recipient Name", "Required. First and last name."),
    "company": ("Company", ""),
    "street1": ("Address 1", "Required."),
    "street2": ("Address 2", ""),
    "city": ("City", "Required."),
    "state": ("State", "Two letters for the US (AA, AE, AP for military)."),
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
REQUIRED = ("order_number", "recipient_name", "street1", "city")
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
MAX_LENGTHS = {
    f.name: f.max_length
    for f in Order._meta.get_fields()
    if getattr(f, "max_length", None)
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


class UnreadableFile(Exception):
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


# -- reading files ---------------------------------------------------------------------


def decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("The file is not text: save it as CSV (UTF-8) and try again.")


def sniff_delimiter(header_line: str) -> str:
    """The header line decides: headers rarely contain commas, semicolons or tabs."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_table(data: bytes | str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Headers and (row number, cells) of a CSV; row 1 is the header, blank rows skipped."""
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first_line))
    try:
        headers = next(reader)
    except StopIteration:
        raise UnreadableFile("The file is empty.") from None
    except csv.Error as exc:
        raise UnreadableFile(f"The file is not valid CSV: {exc}") from exc
    rows = []
    try:
        for number, cells in enumerate(reader, start=2):
            if any(c.strip() for c in cells):
                rows.append((number, cells))
    except csv.Error as exc:
        raise UnreadableFile(f"Row {number + 1} is not valid CSV: {exc}") from exc
    return headers, rows


def column_map(headers: list[str], saved: dict[str, str] | None = None) -> dict[str, int]:
    """ShipDesk field -> column index, from the known headers and the merchant's mapping."""
    saved = saved or {}
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = fold(header)
        target = saved.get(key) or KNOWN_HEADERS.get(key)
        if target in COLUMNS and target not in found:
            found[target] = index
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        raise MappingNeeded(headers, missing)
    return found


def unknown_headers(headers: list[str]) -> list[str]:
    return [h for h in headers if h.strip() and fold(h) not in KNOWN_HEADERS]


def saved_mapping(merchant: Merchant) -> dict[str, str]:
    mapping = ImportMapping.objects.for_merchant(merchant).first()
    return mapping.columns if mapping else {}


def save_mapping(merchant: Merchant, columns: dict[str, str]) -> ImportMapping:
    clean = {fold(k): v for k, v in columns.items() if v in COLUMNS}
    mapping, _ = ImportMapping.objects.get_or_create(merchant=merchant)
    mapping.columns = {**mapping.columns, **clean}
    mapping.save()
    return mapping


def group_rows(
    headers: list[str], rows: list[tuple[int, list[str]]], columns: dict[str, int]
) -> tuple[list[OrderInput], list[RowError]]:
    orders: dict[str, OrderInput] = {}
    errors: list[RowError] = []
    for number, cells in rows:
        values = {f: (cells[i].strip() if i < len(cells) else "") for f, i in columns.items()}
        key = values.get("order_number", "")
        if not key:
            errors.append(RowError(number, "Order Number is empty: every row needs one."))
            continue
        orders.setdefault(key, OrderInput(key, [])).rows.append((number, values))
    return list(orders.values()), errors


# -- checking values -------------------------------------------------------------------


def parse_decimal(text: str, what: str, *, minimum: Decimal = Decimal(0)) -> Decimal:
    cleaned = text.replace("$", "").replace(",", "").strip()
    try:
        value = Decimal(cleaned) if cleaned else Decimal(0)
    except InvalidOperation:
        raise ValueError(f"{what} '{text}' is not a number (use digits like 12.50).") from None
    if not value.is_finite() or value < minimum or value >= Decimal("100000000"):
        raise ValueError(f"{what} '{text}' is out of range.")
    return value.quantize(Decimal("0.01"))


def parse_date(text: str, now: dt.datetime) -> dt.datetime:
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
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
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


def check_order_fields(values: dict[str, str], now: dt.datetime) -> dict:
    """Order-level values of an order's first row, converted; raises ValueError with a fix."""
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
    if out["country"] == "US":
        if not postal:
            problems.append("Postal Code is empty: US addresses need a ZIP code.")
        elif not US_ZIP.match(postal):
            problems.append(f"Postal Code '{postal}' is not a US ZIP code (12345 or 12345-6789).")
        state = state.upper()
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
        out["order_date"] = parse_date(values.get("order_date", ""), now)
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
        street1=values["street1"],
        street2=values.get("street2", ""),
        city=values["city"],
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
        origin_country=origin,
    )


@dataclass
class CheckedOrder:
    number: str
    fields: dict
    items: list[OrderItem]
    rows: list[int]


def check_order(order_input: OrderInput, now: dt.datetime) -> CheckedOrder | list[RowError]:
    errors: list[RowError] = []
    first_row, first_values = order_input.rows[0]
    fields: dict = {}
    try:
        fields = check_order_fields(first_values, now)
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


# -- saving ----------------------------------------------------------------------------

ORDER_UPDATE_FIELDS = [
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
    "residential",
    "total",
    "updated_at",
]


def _order_kwargs(fields: dict) -> dict:
    kwargs = {k: v for k, v in fields.items() if k not in ("order_total", "package_type")}
    kwargs["total"] = fields["order_total"]
    if "package_type" in fields:
        kwargs["package_type"] = fields["package_type"]
    return kwargs


def _merge_tags(old: str, new: str) -> str:
    tags = [t.strip() for t in f"{old},{new}".split(",") if t.strip()]
    return ", ".join(dict.fromkeys(tags))[:200]


def _item_key(item: OrderItem) -> tuple:
    return (
        item.sku,
        item.name,
        item.quantity,
        item.unit_price,
        item.weight_oz,
        item.customs_description,
        item.hs_code,
        item.origin_country,
    )


def save_chunk(
    merchant: Merchant, checked: list[CheckedOrder], context: dict, result: ImportResult
) -> None:
    """Create or update one chunk of orders in a single transaction."""
    now = timezone.now()
    existing = {
        o.number: o
        for o in Order.objects.for_merchant(merchant)
        .filter(number__in=[c.number for c in checked])
        .prefetch_related("items")
    }
    new_orders, new_items, updated, updated_items, logs = [], [], [], [], []
    skipped: list[RowError] = []
    matched = 0
    for c in checked:
        old = existing.get(c.number)
        if old is not None:
            if not old.is_open:
                skipped += [
                    RowError(
                        row,
                        f"Order {c.number} is already {old.get_status_display().lower()} "
                        "in ShipDesk, so it was not changed.",
                        c.number,
                    )
                    for row in c.rows
                ]
                continue
            kwargs = _order_kwargs(c.fields)
            kwargs.pop("status")  # the merchant may have put it on hold; keep that
            kwargs.pop("package_type", None)
            # Tags added since (by rules or by hand) stay; the file's tags are added.
            kwargs["tags"] = _merge_tags(old.tags, kwargs["tags"])
            matched += 1
            same_items = [_item_key(i) for i in old.items.all()] == [_item_key(i) for i in c.items]
            if same_items and all(getattr(old, k) == v for k, v in kwargs.items()):
                continue  # already up to date: re-importing a file writes nothing
            for name, value in kwargs.items():
                setattr(old, name, value)
            old.updated_at = now
            updated.append(old)
            for item in c.items:
                item.order = old
            updated_items += c.items
            continue
        order = Order(merchant=merchant, number=c.number, **_order_kwargs(c.fields))
        order.created_at = order.updated_at = now
        if order.is_open:
            # R36 / R15: rules run once, as the order first enters an open status.
            changes = rules_mod.run_rules(order, c.items, context["rules"], context["ship_froms"])
            order.rules_applied_at = now
            context["pending_logs"].append((order, changes))
        if order.ship_from_id is None and context["default_ship_from"] is not None:
            order.ship_from = context["default_ship_from"]
        new_orders.append(order)
        new_items.append((order, c.items))
    with transaction.atomic():
        Order.objects.bulk_create(new_orders, batch_size=500)
        for order, items in new_items:
            for item in items:
                item.order = order
        for order, changes in context["pending_logs"]:
            logs += rules_mod.change_rows(order, changes)
        if updated:
            # Small batches: each UPDATE carries a CASE per field over its whole batch.
            Order.objects.bulk_update(updated, ORDER_UPDATE_FIELDS, batch_size=100)
            OrderItem.objects.filter(order__in=[o.pk for o in updated]).delete()
        OrderItem.objects.bulk_create(
            [i for _, items in new_items for i in items] + updated_items, batch_size=1000
        )
        OrderRuleChange.objects.bulk_create(logs, batch_size=1000)
    context["pending_logs"].clear()
    result.created += len(new_orders)
    result.updated += matched
    result.errors += skipped


def import_orders(
    merchant: Merchant,
    order_inputs: list[OrderInput],
    *,
    result: ImportResult | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    result = result or ImportResult()
    now = timezone.now()
    ship_froms = rules_mod.ship_froms_for(merchant)
    context = {
        "rules": rules_mod.rules_for(merchant),
        "ship_froms": ship_froms,
        "default_ship_from": next((s for s in ship_froms.values() if s.is_default), None),
        "pending_logs": [],
    }
    done_rows = 0
    for start in range(0, len(order_inputs), CHUNK_ORDERS):
        chunk = order_inputs[start : start + CHUNK_ORDERS]
        checked = []
        for order_input in chunk:
            outcome = check_order(order_input, now)
            if isinstance(outcome, list):
                result.errors += outcome
            else:
                checked.append(outcome)
        try:
            save_chunk(merchant, checked, context, result)
        except IntegrityError:
            # Another import created some of these numbers meanwhile: go one by one.
            context["pending_logs"].clear()
            for one in checked:
                try:
                    save_chunk(merchant, [one], context, result)
                except IntegrityError:
                    context["pending_logs"].clear()
                    result.errors += [
                        RowError(r, "Could not save this order; import the file again.", one.number)
                        for r in one.rows
                    ]
        done_rows += sum(len(o.rows) for o in chunk)
        if progress:
            progress(done_rows, result)
    result.errors.sort(key=lambda e: e.row)
    return result


def import_csv(
    merchant: Merchant,
    data: bytes | str,
    *,
    mapping: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a CSV for ``merchant``; raises MappingNeeded or UnreadableFile before any save."""
    headers, rows = read_table(data)
    columns = column_map(headers, saved_mapping(merchant) if mapping is None else mapping)
    order_inputs, errors = group_rows(headers, rows, columns)
    result = ImportResult(total_rows=len(rows), errors=errors)
    return import_orders(merchant, order_inputs, result=result, progress=progress)


def count_rows(data: bytes | str) -> int:
    text = data if isinstance(data, str) else data.decode("utf-8", "ignore")
    return max(0, text.count("\n") - 1)


# -- JSON (the API) --------------------------------------------------------------------

API_ORDER_FIELDS = ("order_number", *ORDER_FIELDS)
API_ITEM_FIELDS = (
    "sku",
    "item_name",
    "quantity",
    "unit_price",
    "item_weight_oz",
    "customs_description",
    "hs_code",
    "origin_country",
)


def orders_from_json(payload: object) -> tuple[list[OrderInput], list[RowError]]:
    """``{"orders": [{...order fields..., "items": [{...}]}]}``; "row" is the list index."""
    if isinstance(payload, dict):
        payload = payload.get("orders")
    if not isinstance(payload, list):
        raise UnreadableFile('Send {"orders": [...]} (a JSON object with a list of orders).')
    inputs: dict[str, OrderInput] = {}
    errors = []
    for index, entry in enumerate(payload):
        if not isinstance(entry, dict):
            errors.append(RowError(index, "Each order must be a JSON object."))
            continue
        values = {k: _json_text(entry.get(k)) for k in API_ORDER_FIELDS if k in entry}
        items = entry.get("items") or [{}]
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            errors.append(
                RowError(index, "items must be a list of objects.", values.get("order_number", ""))
            )
            continue
        number = values.get("order_number", "")
        if not number:
            errors.append(RowError(index, "order_number is empty: every order needs one."))
            continue
        rows = []
        for n, item in enumerate(items):
            row = dict(values) if n == 0 else {"order_number": number}
            row |= {k: _json_text(item.get(k)) for k in API_ITEM_FIELDS if k in item}
            if "name" in item and "item_name" not in item:
                row["item_name"] = _json_text(item["name"])
            rows.append((index, row))
        if number in inputs:
            errors.append(RowError(index, f"order_number {number} appears twice.", number))
            continue
        inputs[number] = OrderInput(number, rows)
    return list(inputs.values()), errors


def _json_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value).strip()


def import_json(merchant: Merchant, payload: object) -> ImportResult:
    order_inputs, errors = orders_from_json(payload)
    result = ImportResult(total_rows=len(order_inputs) + len(errors), errors=errors)
    return import_orders(merchant, order_inputs, result=result)


def sample_csv() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(label for label, _ in list(COLUMNS.values())[:19])
    writer.writerows(
        [
            ["1001", "2026-11-25 09:30", "My Shop", "Jane Doe", "", "1 Market St", "Suite 200",
             "San Francisco", "CA", "94105", "US", "415-555-0100", "jane@example.com",
             "MUG-11", "Stoneware mug", "2", "18.00", "14", "gift"],
            ["1001", "", "", "", "", "", "", "", "", "", "", "", "", "TEE-M", "Cotton tee, M",
             "1", "24.00", "6.5", ""],
            ["1002", "11/25/2026", "My Shop", "Liam MacDonald", "", "301 Front St W", "",
             "Toronto", "ON", "M5V 2T6", "Canada", "", "liam@example.com", "CARD-SET",
             "Letterpress card set", "1", "12.50", "3", ""],
        ]
    )  # fmt: skip
    return buffer.getvalue()


def errors_for_storage(errors: Iterable[RowError]) -> list[dict]:
    return [e.as_dict() for e in list(errors)[:MAX_STORED_ERRORS]]
