"""What the support merchant page shows, as plain tables built from bounded queries.

Each section is one entry in ``SECTIONS``: it runs a fixed number of queries (one, mostly)
with a row limit, so the page costs the same for a merchant with ten orders or a million.
Secrets are never selected: queries name the
columns they read (``only``), so passwords and codes are not even loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Model

from endofday.models import Pickup, ScanForm
from merchants.models import Merchant
from orders.models import ApiKey, ImportJob, Order
from shipments.models import Batch, Shipment
from support.carrier_sections import (
    accounts,
    activity,
    carrier_calls,
    carrier_errors,
    members,
    verifications,
)
from support.cells import ROW_ERRORS, ROWS, Cell, Overview, Section, money
from support.money_sections import auto_funding, balance_checks, drifts, ledger, purchases


def _imports(merchant: Merchant) -> Section:
    rows = (
        ImportJob.objects.for_merchant(merchant)
        # The uploaded CSV (customers' addresses, possibly megabytes) stays unloaded.
        .defer("content")
        .order_by("-created_at", "-pk")[:20]
    )

    def row_errors(job: ImportJob) -> tuple[str, ...]:
        lines = [
            f"Row {e.get('row')}"
            + (f" ({e['order_number']})" if e.get("order_number") else "")
            + f": {e.get('reason', '')}"
            for e in (job.errors or [])[:ROW_ERRORS]
            if isinstance(e, dict)
        ]
        if job.error_count > len(lines):
            lines.append(f"… {job.error_count - len(lines)} more")
        if job.failure:
            lines.insert(0, job.failure)
        return tuple(lines)

    return Section(
        "imports",
        "Order imports",
        ["When", "Source", "File", "Status", "Rows", "Created", "Updated", "Errors"],
        [
            [
                Cell(j.created_at),
                Cell(j.get_source_display()),
                Cell(j.filename or "—"),
                Cell(j.get_status_display(), badge=j.status),
                Cell(j.total_rows, num=True),
                Cell(j.created_count, num=True),
                Cell(j.updated_count, num=True),
                Cell(j.error_count or "—", items=row_errors(j)),
            ]
            for j in rows
        ],
        empty="No imports.",
    )


def _api_key(merchant: Merchant) -> Section:
    rows = ApiKey.objects.for_merchant(merchant).only("prefix", "created_at", "last_used_at")[:1]
    return Section(
        "api-key",
        "Order API key",
        ["Key", "Created", "Last used"],
        [[Cell(f"{k.prefix}…"), Cell(k.created_at), Cell(k.last_used_at or "never")] for k in rows],
        empty="No API key.",
        note="Only the first characters are kept in the clear.",
    )


# Columns of the label and end-of-day sections: whichever of these the model has, in this
# order; secrets are never among them.
PREFERRED = [
    "created_at",
    "tracking_number",
    "service",
    "status",
    "postage",
    "amount",
    "cost",
    "ship_date",
    "total",
    "finished_at",
    "pickup_date",
    "confirmation_number",
    "voided_at",
    "bought_by",
    "voided_by",
    "error",
    "failure",
]


def _records(model: type[Model], title: str) -> Callable[[Merchant], Section]:
    model_name = model.__name__

    def build(merchant: Merchant) -> Section:
        names = {f.name: f for f in model._meta.concrete_fields}
        columns = [n for n in PREFERRED if n in names]
        rows = model._default_manager.filter(merchant=merchant).only(*columns).order_by("-pk")
        has_order = "order" in names and names["order"].is_relation
        people = [n for n in columns if names[n].is_relation]  # who bought, who voided
        related = [*people, *(["order"] if has_order else [])]
        fields = [*(f"{n}__email" for n in people), *(["order__number"] if has_order else [])]
        if related:
            rows = rows.select_related(*related).only(*columns, *fields)
        rows = rows[:ROWS]

        def record(obj: Any) -> Cell:  # any model; ``order`` when it has one
            order = obj.order if has_order else None
            return Cell(f"#{obj.pk}" + (f" · order {order.number}" if order else ""))

        def cell(obj: Model, name: str) -> Cell:
            value = getattr(obj, name)
            display = getattr(obj, f"get_{name}_display", None)
            if name == "status":
                return Cell(display() if display else value, badge=str(value))
            if isinstance(value, Decimal):
                return money(value)
            if names[name].is_relation:
                return Cell(value.email if value is not None else "—")
            return Cell(display() if display else ("—" if value in (None, "") else value))

        return Section(
            model_name.lower(),
            title,
            ["Record", *(names[n].verbose_name.capitalize() for n in columns)],
            [[record(obj), *(cell(obj, n) for n in columns)] for obj in rows],
            empty=f"No {title.lower()}.",
        )

    return build


SECTIONS: list[Callable[[Merchant], Section]] = [
    members,
    activity,
    accounts,
    carrier_errors,
    # Labels and end-of-day records read best right after the carrier errors.
    _records(Shipment, "Labels"),
    _records(Batch, "Label batches"),
    _records(ScanForm, "SCAN forms"),
    _records(Pickup, "Pickups"),
    verifications,
    ledger,
    purchases,
    auto_funding,
    balance_checks,
    drifts,
    _imports,
    _api_key,
    carrier_calls,
]


def order_counts(merchant: Merchant) -> list[tuple[str, int]]:
    labels = dict(Order.Status.choices)
    counts = (
        Order.objects.for_merchant(merchant)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return sorted(((labels.get(s, s), n) for s, n in counts), key=lambda x: -x[1])


def merchant_overview(merchant: Merchant) -> Overview:
    return Overview(
        merchant=merchant,
        sections=[build(merchant) for build in SECTIONS],
        order_counts=order_counts(merchant),
    )
