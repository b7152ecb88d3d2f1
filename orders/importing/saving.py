"""Saving checked orders in chunks: create, update, run rules (R36)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from merchants.models import Merchant
from orders import addresses
from orders import rules as rules_mod
from orders.importing.checks import (
    CheckedOrder,
    check_order,
)
from orders.importing.common import (
    CHUNK_ORDERS,
    ImportResult,
    OrderInput,
    Progress,
    RowError,
)
from orders.importing.reading import (
    column_map,
    group_rows,
    read_table,
    saved_mapping,
)
from orders.models import Order, OrderItem, OrderRuleChange
from orders.signals import orders_imported

ORDER_UPDATE_FIELDS = [
    "address_status",
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
            old.address_status = addresses.import_status(old)
            old.updated_at = now
            updated.append(old)
            for item in c.items:
                item.order = old
            updated_items += c.items
            continue
        order = Order(merchant=merchant, number=c.number, **_order_kwargs(c.fields))
        order.created_at = order.updated_at = now
        order.address_status = addresses.import_status(order)
        order.weigh_from_items(c.items)  # before rules, so a weight rule still wins
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
    if new_orders:
        orders_imported.send(Order, merchant=merchant, order_ids=[o.pk for o in new_orders])
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
    context: dict[str, Any] = {
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
            outcome = check_order(order_input, now, merchant.zone)
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
    if result.created or result.updated:
        from orders.jobs import check_addresses_after_import  # jobs imports this module

        check_addresses_after_import(merchant.pk)
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
    """Data lines after the header, whatever the line endings (CR, LF or CRLF).

    An estimate that decides inline or background: quoted line breaks count too, which only
    sends a borderline file to the background."""
    text = data if isinstance(data, str) else data.decode("utf-8", "ignore")
    lines = text.splitlines()
    return max(0, len(lines) - 1)
