"""Keyset pages: long lists (the funds ledger) shown newest first, a page at a time, without
counting the rows and without an OFFSET, so page one of 100,000 entries costs what page one
of 1,000 does. The cursor is the (created_at, pk) of the page's edge row; "older" pages run
below it, "newer" ones above it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, Q, QuerySet


@dataclass
class KeysetPage:
    rows: list[Any]
    older: str  # cursor of the next page down ("" on the oldest page)
    newer: str  # cursor of the next page up ("" on the newest page)

    def __iter__(self):
        return iter(self.rows)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.older or self.newer)


def _cursor(row: Model) -> str:
    created: dt.datetime = row.created_at  # type: ignore[attr-defined]
    return f"{created.timestamp():.6f}_{row.pk}"


def _parse(cursor: str) -> tuple[dt.datetime, int] | None:
    try:
        stamp, pk = cursor.split("_", 1)
        return dt.datetime.fromtimestamp(float(stamp), dt.UTC), int(pk)
    except (ValueError, OverflowError, OSError):
        return None  # a mangled link shows the newest page


def keyset_page(qs: QuerySet, *, older: str = "", newer: str = "", size: int = 50) -> KeysetPage:
    """A page of ``qs`` (ordered newest first by created_at, pk) below ``older`` or above
    ``newer``; one query of ``size`` + 1 rows, the extra row telling whether more follow."""
    below, above = _parse(older) if older else None, _parse(newer) if newer else None
    if above is not None:
        at, pk = above
        rows = list(
            qs.filter(Q(created_at__gt=at) | Q(created_at=at, pk__gt=pk)).order_by(
                "created_at", "pk"
            )[: size + 1]
        )
        more_above = len(rows) > size
        rows = rows[:size][::-1]
        return KeysetPage(
            rows,
            older=_cursor(rows[-1]) if rows else "",
            newer=_cursor(rows[0]) if rows and more_above else "",
        )
    if below is not None:
        at, pk = below
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
    rows = list(qs.order_by("-created_at", "-pk")[: size + 1])
    more_below = len(rows) > size
    rows = rows[:size]
    return KeysetPage(
        rows,
        older=_cursor(rows[-1]) if rows and more_below else "",
        newer=_cursor(rows[0]) if rows and below is not None else "",
    )
