"""Support sections about a merchant's money: ledger, purchases, auto-funding, the balance
checks and drift."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from carriers.models import CarrierAccount
from funding.models import AutoFunding, BalanceCheck, BalanceDrift, LedgerEntry, PostagePurchase
from funding.reconciliation import (
    WAITING_TOO_LONG,
    drift_hint,
    entries_around,
    waiting_too_long,
)
from merchants.models import Merchant
from support.cells import ROWS, Cell, Section, money, yes_no


def ledger(merchant: Merchant) -> Section:
    rows = (
        LedgerEntry.objects.for_merchant(merchant)
        .select_related("account", "by")
        .only(
            "created_at",
            "kind",
            "amount",
            "balance_after",
            "reference",
            "memo",
            "account__nickname",
            "by__email",
        )
        .order_by("-created_at", "-pk")[:ROWS]
    )
    return Section(
        "ledger",
        "Ledger",
        ["When", "Account", "Kind", "Amount", "Balance after", "Reference", "Memo", "By"],
        [
            [
                Cell(e.created_at),
                Cell(e.account.nickname),
                Cell(e.get_kind_display()),
                money(e.amount),
                money(e.balance_after),
                Cell(e.reference),
                Cell(e.memo),
                Cell(e.by.email if e.by else "ShipDesk"),
            ]
            for e in rows
        ],
        empty="No ledger entries.",
        note=f"Latest {ROWS} entries.",
    )


def purchases(merchant: Merchant) -> Section:
    rows = (
        PostagePurchase.objects.for_merchant(merchant)
        .select_related("account", "requested_by")
        .only(
            "created_at",
            "amount",
            "status",
            "automatic",
            "integrator_tx_id",
            "rejection_reason",
            "settled_at",
            "account__nickname",
            "requested_by__email",
        )
        .order_by("-created_at", "-pk")[:ROWS]
    )
    return Section(
        "purchases",
        "Postage purchases",
        ["When", "Account", "Amount", "Status", "Automatic", "IntegratorTxID", "Reason", "By"],
        [
            [
                Cell(p.created_at),
                Cell(p.account.nickname),
                money(p.amount),
                Cell(p.get_status_display(), badge=p.status),
                Cell(yes_no(p.automatic)),
                Cell(p.integrator_tx_id),
                Cell(p.rejection_reason),
                Cell(p.requested_by.email if p.requested_by else "ShipDesk"),
            ]
            for p in rows
        ],
        empty="No postage purchases.",
    )


def auto_funding(merchant: Merchant) -> Section:
    rows = (
        AutoFunding.objects.for_merchant(merchant)
        .select_related("account", "changed_by")
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
            "updated_at",
            "changed_by__email",
        )
        .order_by("account__nickname")[:ROWS]
    )
    return Section(
        "auto-funding",
        "Auto-funding",
        [
            "Account",
            "ShipDesk",
            "Below",
            "Add",
            "Per day",
            "Stamps.com auto-buy",
            "Last skip",
            "Changed by",
        ],
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
                Cell(f"{a.changed_by.email}, {_when(a.updated_at)}" if a.changed_by else "—"),
            ]
            for a in rows
        ],
        empty="Auto-funding not set up.",
    )


def _when(moment: dt.datetime) -> str:
    """A time inside a sentence, in the zone the page shows its other times in (the
    store's, made active by the view), named: a bare 14:00 reads as anybody's time."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}"


def balance_checks(merchant: Merchant) -> Section:
    """Per account, when reconciliation last compared the ledger with the carrier's balance
    and, when its runs have been waiting, since when and why: a drift on an account whose
    runs always wait would otherwise go unseen (one query)."""
    accounts = (
        CarrierAccount.objects.filter(merchant=merchant)
        .select_related("balance_check")
        .order_by("nickname", "pk")[:ROWS]
    )
    now = timezone.now()

    def row(account: CarrierAccount) -> list[Cell]:
        check: BalanceCheck | None = getattr(account, "balance_check", None)
        if check is None:
            return [Cell(account.nickname), Cell("never"), Cell("—"), Cell("")]
        stuck = waiting_too_long(check, now)
        waiting = (
            Cell(
                f"since {_when(check.waiting_since)} ({check.runs_waited} "
                f"run{'' if check.runs_waited == 1 else 's'})",
                badge="failed" if stuck else "pending",
            )
            if check.waiting_since
            else Cell("—")
        )
        return [
            Cell(account.nickname),
            Cell(check.compared_at or "never"),
            waiting,
            Cell(check.waiting_for),
        ]

    hours = int(WAITING_TOO_LONG.total_seconds() // 3600)
    return Section(
        "balance-checks",
        "Balance checks",
        ["Account", "Books last compared", "Waiting", "Waiting for"],
        [row(a) for a in accounts],
        empty="No carrier account.",
        note=(
            "Reconciliation compares the ledger with Stamps.com's balance every hour, and waits "
            "while money is between the two (a label being bought, a purchase being confirmed)"
            f". Waiting more than {hours} hours: look at the account's labels and purchases in "
            "flight; a drift can't be seen until they settle."
        ),
    )


def drifts(merchant: Merchant) -> Section:
    rows = list(
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
            "account_id",
        )
        .order_by("-detected_at", "-pk")[:ROWS]
    )
    # The newest open drift carries the entries around it (three queries, whatever the
    # number of drifts); the admin's adjust page shows them for every drift.
    newest_open = next((d for d in rows if d.resolved_at is None), None)

    def around(drift: BalanceDrift) -> tuple[str, ...]:
        if drift is not newest_open:
            return ()
        entries = entries_around(drift)
        hint = drift_hint(drift, entries)
        return (
            *([hint] if hint else []),
            *(
                f"{_when(e.created_at)} {e.get_kind_display()} {e.amount:+,.2f} "
                f"→ {e.balance_after:,.2f} {e.reference or e.memo}"
                for e in entries
            ),
        )

    return Section(
        "drifts",
        "Ledger vs. carrier balance",
        [
            "Detected",
            "Account",
            "Ledger",
            "Carrier",
            "Difference",
            "Resolved",
            "Resolution / ledger around it",
        ],
        [
            [
                Cell(d.detected_at),
                Cell(d.account.nickname),
                money(d.ledger_balance),
                money(d.carrier_balance),
                money(d.difference),
                Cell(d.resolved_at or "open", badge="" if d.resolved_at else "failed"),
                Cell(d.resolution, items=around(d)),
            ]
            for d in rows
        ],
        empty="The ledger has always matched the carrier.",
        note=(
            "An open drift is closed by an explained adjustment (Admin → Balance drifts → "
            "Review and adjust), never by editing the ledger."
        ),
    )
