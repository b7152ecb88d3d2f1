"""JSON orders (the API), the sample file and stored error lists."""

from __future__ import annotations

import io
from collections.abc import Iterable

from merchants.exports import SafeWriter
from merchants.models import Merchant
from merchants.nul import NUL
from orders.importing.common import (
    COLUMNS,
    MAX_STORED_ERRORS,
    ORDER_FIELDS,
    ImportResult,
    OrderInput,
    RowError,
    UnreadableFile,
)
from orders.importing.saving import (
    import_orders,
)

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
        # PostgreSQL stores no NUL character (and the number is looked up before any save).
        with_nul = sorted({name for _, row in rows for name, value in row.items() if NUL in value})
        if with_nul:
            reason = f"{', '.join(with_nul)} holds a NUL character (\\u0000): remove it."
            errors.append(RowError(index, reason, number.replace(NUL, "")))
            continue
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
    writer = SafeWriter(buffer)
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
