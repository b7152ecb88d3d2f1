"""Read-only views of the ledger: filtered lists, CSV rows, the chart and monthly statements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import F, QuerySet
from django.utils import timezone

from carriers.models import CarrierAccount
from funding.chart import Chart, balance_chart
from funding.models import ZERO, LedgerEntry
from merchants.models import Merchant
from merchants.pdf import html_to_pdf

# "By" last, so spreadsheets built on the earlier columns keep working.
CSV_HEADER = ["Date", "Account", "Kind", "Amount", "Balance after", "Reference", "Memo", "By"]


def _day_start(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def filtered_ledger(merchant: Merchant, filters: dict[str, Any]) -> QuerySet[LedgerEntry]:
    """``filters``: cleaned LedgerFilterForm data (account id, kind, start, end dates)."""
    zone = merchant.zone
    qs = LedgerEntry.objects.for_merchant(merchant).select_related("account", "by")
    if filters.get("account"):
        qs = qs.filter(account_id=filters["account"])
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    if filters.get("start"):
        qs = qs.filter(created_at__gte=_day_start(filters["start"], zone))
    if filters.get("end"):
        qs = qs.filter(created_at__lt=_day_start(filters["end"] + dt.timedelta(days=1), zone))
    return qs.order_by("-created_at", "-pk")


def csv_rows(entries: QuerySet[LedgerEntry], zone: ZoneInfo) -> Iterator[list[str]]:
    yield CSV_HEADER
    for e in entries.iterator(chunk_size=2000):
        yield [
            e.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            e.account.nickname,
            e.get_kind_display(),
            f"{e.amount:.2f}",
            f"{e.balance_after:.2f}",
            e.reference,
            e.memo,
            # Who did it: the member's e-mail, or ShipDesk itself (auto-funding, an opening
            # balance, a correction), as the funds page says.
            e.by.email if e.by else "ShipDesk",
        ]


CHART_POINTS = 300

# One probe per slice of the window, each an index seek on (account, created_at): the latest
# movement of the slice. The chart reads at most CHART_POINTS rows, however busy the account.
_SLICES_SQL = """
SELECT e.created_at, e.balance_after
FROM generate_series(1, %(n)s) AS k
CROSS JOIN LATERAL (
    SELECT created_at, balance_after FROM {table}
    WHERE account_id = %(account)s
      AND created_at >= %(since)s + (k - 1) * make_interval(secs => %(step)s)
      AND created_at < %(since)s + k * make_interval(secs => %(step)s)
    ORDER BY created_at DESC, id DESC
    LIMIT 1
) AS e
ORDER BY k
"""


def account_chart(account: CarrierAccount, *, days: int = 90) -> Chart | None:
    """The balance over the last ``days``: about 300 movements spread over the window.

    PostgreSQL: the latest movement of each of 300 equal slices of time, one query of 300
    index seeks, so an account with a hundred thousand movements costs what a quiet one
    does. Elsewhere (SQLite): every n-th movement of the window, picked by the database
    (a count and a scan of the window's rows)."""
    now = timezone.now()
    since = now - dt.timedelta(days=days)
    if connection.vendor == "postgresql":
        # The last slice ends a second after now: a movement made this instant is drawn.
        step = (now + dt.timedelta(seconds=1) - since) / CHART_POINTS
        sql = _SLICES_SQL.format(table=connection.ops.quote_name(LedgerEntry._meta.db_table))
        params: dict[str, int | float | dt.datetime] = {
            "n": CHART_POINTS,
            "account": account.pk,
            "since": since,
            "step": step.total_seconds(),
        }
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = [(at, balance) for at, balance in cursor.fetchall()]
    else:
        window = LedgerEntry.objects.filter(account=account, created_at__gte=since)
        step_n = max(1, window.count() // CHART_POINTS)
        picked = window.annotate(nth=F("id") % step_n).filter(nth=0) if step_n > 1 else window
        rows = list(picked.order_by("pk").values_list("created_at", "balance_after"))
        last = window.order_by("-pk").values_list("created_at", "balance_after").first()
        if last and (not rows or rows[-1] != last):
            rows.append(last)
    if rows:
        rows.append((now, rows[-1][1]))
    return balance_chart(rows)


@dataclass
class Statement:
    account: CarrierAccount
    year: int
    month: int
    start: dt.datetime
    end: dt.datetime
    opening: Decimal
    closing: Decimal
    entries: list[LedgerEntry]
    totals: dict[str, Decimal]
    generated_at: dt.datetime

    @property
    def title(self) -> str:
        return self.start.strftime("%B %Y")


def statement(account: CarrierAccount, year: int, month: int) -> Statement:
    zone = account.merchant.zone
    start = dt.datetime(year, month, 1, tzinfo=zone)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    base = LedgerEntry.objects.filter(account=account)
    before = base.filter(created_at__lt=start).order_by("-created_at", "-pk").first()
    opening = before.balance_after if before else ZERO
    entries = list(
        base.filter(created_at__gte=start, created_at__lt=end).order_by("created_at", "pk")
    )
    totals: dict[str, Decimal] = {}
    for entry in entries:
        label = entry.get_kind_display()
        totals[label] = totals.get(label, ZERO) + entry.amount
    closing = entries[-1].balance_after if entries else opening
    return Statement(
        account=account,
        year=year,
        month=month,
        start=start,
        end=end,
        opening=opening,
        closing=closing,
        entries=entries,
        totals=totals,
        generated_at=timezone.now().astimezone(zone),
    )


def statement_pdf(stmt: Statement) -> bytes:
    from django.template.loader import render_to_string

    return html_to_pdf(render_to_string("funding/statement.html", {"s": stmt}))
