"""What the support merchant page shows, as plain tables built from bounded queries.

Each section is one entry in ``SECTIONS``: it runs a fixed number of queries (one, mostly)
with a row limit, so the page costs the same for a merchant with ten orders or a million.
Sections for models that don't exist yet (labels, SCAN forms, pickups) are registered by
model name and appear once the model does. Secrets are never selected: queries name the
columns they read (``only``), so passwords and codes are not even loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Model

from carriers.models import CarrierAccount, CarrierCall, PhoneVerification
from carriers.verification import mask
from funding.models import AutoFunding, BalanceDrift, LedgerEntry, PostagePurchase
from merchants.models import Membership, Merchant
from orders.models import ApiKey, ImportJob, Order
from support.search import merchant_models

ROWS = 50
ROW_ERRORS = 10  # per import; the import page has them all


@dataclass(frozen=True)
class Cell:
    value: Any = ""
    badge: str = ""  # css suffix: renders as a status badge
    num: bool = False
    items: tuple[str, ...] = ()
    strong: bool = False


@dataclass
class Section:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    empty: str = "Nothing yet."
    note: str = ""


@dataclass
class Overview:
    merchant: Merchant
    sections: list[Section]
    order_counts: list[tuple[str, int]]


def money(value: Decimal | None) -> Cell:
    if value is None:
        return Cell("—", num=True)
    sign = "-" if value < 0 else ""
    return Cell(f"{sign}${abs(value):,.2f}", num=True)


def yes_no(flag: bool) -> str:
    return "Yes" if flag else "No"


def _members(merchant: Merchant) -> Section:
    rows = (
        Membership.objects.filter(merchant=merchant)
        .select_related("user")
        .only("role", "created_at", "user__email", "user__last_login", "user__is_active")
        .order_by("created_at", "pk")[:ROWS]
    )
    return Section(
        "members",
        "Members",
        ["E-mail", "Role", "Joined", "Last sign-in", "Active"],
        [
            [
                Cell(m.user.email, strong=True),
                Cell(m.get_role_display()),
                Cell(m.created_at),
                Cell(m.user.last_login or "never"),
                Cell(yes_no(m.user.is_active)),
            ]
            for m in rows
        ],
        empty="No members.",
    )


def _accounts(merchant: Merchant) -> Section:
    rows = (
        CarrierAccount.objects.for_merchant(merchant)
        .only(
            "carrier",
            "nickname",
            "username",
            "status",
            "status_reason",
            "plan",
            "is_default",
            "created_through_shipdesk",
            "phone_number",
            "verified_at",
            "balance",
            "balance_synced_at",
            "disconnected_at",
        )
        .order_by("disconnected_at", "-is_default", "nickname")[:ROWS]
    )
    return Section(
        "accounts",
        "Carrier accounts",
        [
            "Account",
            "Username",
            "Status",
            "Plan",
            "Balance",
            "Last sync",
            "2-step phone",
            "Verified",
            "Why",
        ],
        [
            [
                Cell(
                    f"{a.nickname}{' (default)' if a.is_default else ''}"
                    f"{' — disconnected' if a.disconnected_at else ''}",
                    strong=True,
                ),
                Cell(a.username),
                Cell(a.get_status_display(), badge=a.status),
                Cell(
                    a.get_plan_display()
                    + (" · created through ShipDesk" if a.created_through_shipdesk else "")
                ),
                money(a.balance),
                Cell(a.balance_synced_at or "never"),
                Cell(a.phone_number or "—"),
                Cell(a.verified_at or "—"),
                Cell(a.status_reason),
            ]
            for a in rows
        ],
        empty="No carrier accounts connected.",
    )


def _verifications(merchant: Merchant) -> Section:
    rows = (
        PhoneVerification.objects.for_merchant(merchant)
        .select_related("account")
        # console_code is never loaded: support sees that a code was sent, never the code.
        .only(
            "phone_number",
            "backend",
            "sent_at",
            "expires_at",
            "failed_attempts",
            "locked_at",
            "verified_at",
            "account__nickname",
        )
        .order_by("-sent_at", "-pk")[:ROWS]
    )

    def outcome(v: PhoneVerification) -> Cell:
        if v.verified_at:
            return Cell("Verified", badge="success")
        if v.locked_at:
            return Cell("Locked (5 wrong tries)", badge="failed")
        return Cell("Not verified", badge="pending")

    return Section(
        "verifications",
        "2-step verification history",
        ["Sent", "Account", "Phone", "Via", "Wrong tries", "Outcome", "Locked", "Verified"],
        [
            [
                Cell(v.sent_at),
                Cell(v.account.nickname),
                Cell(mask(v.phone_number)),
                Cell(v.backend),
                Cell(v.failed_attempts, num=True),
                outcome(v),
                Cell(v.locked_at or "—"),
                Cell(v.verified_at or "—"),
            ]
            for v in rows
        ],
        empty="No verification codes sent.",
        note="Codes are never shown here.",
    )


CALL_FIELDS = (
    "started_at",
    "operation",
    "username",
    "outcome",
    "duration_ms",
    "attempt",
    "fault_code",
    "fault_text",
    "merchant_message",
)


def _call_rows(calls: Iterable[CarrierCall]) -> list[list[Cell]]:
    return [
        [
            Cell(c.started_at),
            Cell(c.operation, strong=True),
            Cell(c.username),
            Cell(c.get_outcome_display(), badge="success" if c.outcome == "ok" else "failed"),
            Cell(f"{c.duration_ms} ms", num=True),
            Cell(" ".join(p for p in (c.fault_code, c.fault_text) if p) or "—"),
            Cell(c.merchant_message or "—"),
        ]
        for c in calls
    ]


CALL_COLUMNS = [
    "When",
    "Operation",
    "Username",
    "Outcome",
    "Took",
    "Carrier said",
    "Merchant was told",
]


def _carrier_errors(merchant: Merchant) -> Section:
    calls = (
        CarrierCall.objects.filter(merchant=merchant)
        .exclude(outcome=CarrierCall.Outcome.OK)
        .only(*CALL_FIELDS)
        .order_by("-started_at", "-pk")[:ROWS]
    )
    return Section(
        "carrier-errors",
        "Carrier errors",
        CALL_COLUMNS,
        _call_rows(calls),
        empty="No failed carrier calls.",
    )


def _carrier_calls(merchant: Merchant) -> Section:
    calls = (
        CarrierCall.objects.filter(merchant=merchant)
        .only(*CALL_FIELDS)
        .order_by("-started_at", "-pk")[:20]
    )
    return Section(
        "carrier-calls", "Recent carrier calls", CALL_COLUMNS, _call_rows(calls), empty="No calls."
    )


def _ledger(merchant: Merchant) -> Section:
    rows = (
        LedgerEntry.objects.for_merchant(merchant)
        .select_related("account")
        .only(
            "created_at",
            "kind",
            "amount",
            "balance_after",
            "reference",
            "memo",
            "account__nickname",
        )
        .order_by("-created_at", "-pk")[:ROWS]
    )
    return Section(
        "ledger",
        "Ledger",
        ["When", "Account", "Kind", "Amount", "Balance after", "Reference", "Memo"],
        [
            [
                Cell(e.created_at),
                Cell(e.account.nickname),
                Cell(e.get_kind_display()),
                money(e.amount),
                money(e.balance_after),
                Cell(e.reference),
                Cell(e.memo),
            ]
            for e in rows
        ],
        empty="No ledger entries.",
        note=f"Latest {ROWS} entries.",
    )


def _purchases(merchant: Merchant) -> Section:
    rows = (
        PostagePurchase.objects.for_merchant(merchant)
        .select_related("account")
        .only(
            "created_at",
            "amount",
            "status",
            "automatic",
            "integrator_tx_id",
            "rejection_reason",
            "settled_at",
            "account__nickname",
        )
        .order_by("-created_at", "-pk")[:ROWS]
    )
    return Section(
        "purchases",
        "Postage purchases",
        ["When", "Account", "Amount", "Status", "Automatic", "IntegratorTxID", "Reason"],
        [
            [
                Cell(p.created_at),
                Cell(p.account.nickname),
                money(p.amount),
                Cell(p.get_status_display(), badge=p.status),
                Cell(yes_no(p.automatic)),
                Cell(p.integrator_tx_id),
                Cell(p.rejection_reason),
            ]
            for p in rows
        ],
        empty="No postage purchases.",
    )


def _auto_funding(merchant: Merchant) -> Section:
    rows = (
        AutoFunding.objects.for_merchant(merchant)
        .select_related("account")
        .only(
            "enabled",
            "threshold",
            "amount",
            "max_per_day",
            "carrier_auto_buy_enabled",
            "carrier_auto_buy_amount",
            "carrier_auto_buy_trigger",
            "last_skip_reason",
            "account__nickname",
        )
        .order_by("account__nickname")[:ROWS]
    )
    return Section(
        "auto-funding",
        "Auto-funding",
        ["Account", "ShipDesk", "Below", "Add", "Per day", "Stamps.com auto-buy", "Last skip"],
        [
            [
                Cell(a.account.nickname),
                Cell("On" if a.enabled else "Off", badge="active" if a.enabled else ""),
                money(a.threshold),
                money(a.amount),
                Cell(a.max_per_day, num=True),
                Cell(
                    (
                        f"On: below ${a.carrier_auto_buy_trigger:,.2f} add "
                        f"${a.carrier_auto_buy_amount:,.2f}"
                        + (" — funds twice" if a.funds_twice else "")
                    )
                    if a.carrier_auto_buy_enabled
                    else "Off",
                    badge="failed" if a.funds_twice else "",
                ),
                Cell(a.last_skip_reason),
            ]
            for a in rows
        ],
        empty="Auto-funding not set up.",
    )


def _drifts(merchant: Merchant) -> Section:
    rows = (
        BalanceDrift.objects.for_merchant(merchant)
        .select_related("account")
        .only(
            "detected_at",
            "ledger_balance",
            "carrier_balance",
            "difference",
            "resolved_at",
            "resolution",
            "account__nickname",
        )
        .order_by("-detected_at", "-pk")[:ROWS]
    )
    return Section(
        "drifts",
        "Ledger vs. carrier balance",
        ["Detected", "Account", "Ledger", "Carrier", "Difference", "Resolved", "Resolution"],
        [
            [
                Cell(d.detected_at),
                Cell(d.account.nickname),
                money(d.ledger_balance),
                money(d.carrier_balance),
                money(d.difference),
                Cell(d.resolved_at or "open", badge="" if d.resolved_at else "failed"),
                Cell(d.resolution),
            ]
            for d in rows
        ],
        empty="The ledger has always matched the carrier.",
    )


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


# Models other features add later: (model name, title), found in whichever ShipDesk app
# defines them. Columns are whichever of PREFERRED the model has; secrets are never among them.
LATER_MODELS = [
    ("Shipment", "Labels"),
    ("Label", "Labels"),
    ("Batch", "Label batches"),
    ("ScanForm", "SCAN forms"),
    ("Pickup", "Pickups"),
]
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
    "error",
    "failure",
]


def _later_model(model: type[Model], title: str) -> Callable[[Merchant], Section]:
    model_name = model.__name__

    def build(merchant: Merchant) -> Section:
        names = {f.name: f for f in model._meta.concrete_fields}
        columns = [n for n in PREFERRED if n in names]
        rows = model._default_manager.filter(merchant=merchant).only(*columns).order_by("-pk")
        has_order = "order" in names and names["order"].is_relation
        if has_order:
            rows = rows.select_related("order").only(*columns, "order__number")
        rows = rows[:ROWS]

        def record(obj: Model) -> Cell:
            order = obj.order if has_order else None
            return Cell(f"#{obj.pk}" + (f" · order {order.number}" if order else ""))

        def cell(obj: Model, name: str) -> Cell:
            value = getattr(obj, name)
            display = getattr(obj, f"get_{name}_display", None)
            if name == "status":
                return Cell(display() if display else value, badge=str(value))
            if isinstance(value, Decimal):
                return money(value)
            return Cell(display() if display else ("—" if value in (None, "") else value))

        return Section(
            model_name.lower(),
            title,
            ["Record", *(names[n].verbose_name.capitalize() for n in columns)],
            [[record(obj), *(cell(obj, n) for n in columns)] for obj in rows],
            empty=f"No {title.lower()}.",
        )

    return build


def merchant_model(name: str) -> type[Model] | None:
    return next((m for m in merchant_models() if m.__name__ == name), None)


SECTIONS: list[Callable[[Merchant], Section]] = [
    _members,
    _accounts,
    _carrier_errors,
    _verifications,
    _ledger,
    _purchases,
    _auto_funding,
    _drifts,
    _imports,
    _api_key,
    _carrier_calls,
]


def available_sections() -> list[Callable[[Merchant], Section]]:
    later = [
        _later_model(model, title)
        for name, title in LATER_MODELS
        if (model := merchant_model(name)) is not None
    ]
    # Labels and end-of-day records read best right after the carrier errors.
    return [*SECTIONS[:3], *later, *SECTIONS[3:]]


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
        sections=[build(merchant) for build in available_sections()],
        order_counts=order_counts(merchant),
    )
