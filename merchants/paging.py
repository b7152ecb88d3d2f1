"""Keyset pages: long lists (the order list, the shipments list, the funds ledger) shown a
page at a time without counting the rows and without an OFFSET, so page 2,000 of a million
orders costs what page one does.

A list is ordered by a few columns ending with the primary key (so the order is total, ties
and all). The cursor is the sort key of a page's edge row; the next page is the rows after
it in the list's order, the previous page the rows before it. The sort columns must not be
NULL (the lists sort only on required columns)."""

from __future__ import annotations

import base64
import functools
import json
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Field, Model, Q, QuerySet


@dataclass
class KeysetPage:
    rows: list[Any]
    after: str  # cursor of the next page ("" on the last page)
    before: str  # cursor of the previous page ("" on the first page)
    # The list's other parameters (filters, sort), for the Next and Previous links.
    query: str = ""

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.after or self.before)

    @property
    def next_query(self) -> str:
        return self._link("after", self.after)

    @property
    def previous_query(self) -> str:
        return self._link("before", self.before)

    def _link(self, name: str, cursor: str) -> str:
        if not cursor:
            return ""
        return f"{self.query}&{name}={cursor}" if self.query else f"{name}={cursor}"

    # The funds ledger is newest first: its next page is "older", its previous one "newer".
    @property
    def older(self) -> str:
        return self.after

    @property
    def newer(self) -> str:
        return self.before


def _field(model: type[Model], name: str) -> Field:
    name = name.lstrip("-")
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    assert isinstance(field, Field)
    return field


def _encode(row: Model, order: Sequence[str]) -> str:
    values = [_field(type(row), name).value_to_string(row) for name in order]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode(model: type[Model], order: Sequence[str], cursor: str) -> list[Any] | None:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(order):
            return None
        values = []
        for name, value in zip(order, raw, strict=True):
            if not isinstance(value, str):
                return None
            python = _field(model, name).to_python(value)
            if python is None:
                return None
            values.append(python)
        return values
    except (ValueError, TypeError, ValidationError):  # binascii and JSON errors are ValueErrors
        # A mangled or stale link shows the first page rather than an error.
        return None


def _beyond(order: Sequence[str], values: list[Any], forward: bool) -> Q:
    """Rows strictly after (``forward``) or before the key ``values`` in ``order``:
    (a > x) or (a = x and b > y) or ..., each comparison turned for descending columns.
    The first column also gets a plain bound (a >= x), which an index range can use."""

    def op(name: str) -> str:
        return "gt" if name.startswith("-") != forward else "lt"

    either = Q()
    for k, name in enumerate(order):
        same = {f"{n.lstrip('-')}": v for n, v in zip(order[:k], values[:k], strict=True)}
        either |= Q(**same, **{f"{name.lstrip('-')}__{op(name)}": values[k]})
    first = order[0]
    bound = Q(**{f"{first.lstrip('-')}__{op(first)}e": values[0]})
    return bound & either


def _rows(qs: QuerySet, order: Sequence[str], limit: int, any_of: Sequence[Q]) -> list[Any]:
    """The first ``limit`` rows of ``qs`` in ``order`` that match any of ``any_of``.

    A search across tables (an order's number or an item's SKU) as one OR can use no index:
    PostgreSQL walks the whole list and tests each row, a second per million orders when
    nothing matches. Asked as a union of one sub-select per condition, each with the order
    and the limit, the planner picks per condition: its trigram index when the term is
    rare, the list's own index when it is common. Still one query. Databases that cannot
    order and limit inside a UNION (SQLite) get the plain OR, which scans the merchant's rows.
    """
    if any_of:
        if connections[qs.db].features.supports_slicing_ordering_in_compound:
            first, *rest = [qs.filter(c).order_by(*order).values("pk")[:limit] for c in any_of]
            qs = qs.filter(pk__in=first.union(*rest) if rest else first)
        else:
            qs = qs.filter(functools.reduce(operator.or_, any_of))
    return list(qs.order_by(*order)[:limit])


def keyset(
    qs: QuerySet,
    order: Sequence[str],
    *,
    after: str = "",
    before: str = "",
    size: int = 50,
    query: str = "",
    any_of: Sequence[Q] = (),
) -> KeysetPage:
    """A page of ``qs`` in ``order`` (field names, "-" for descending, ending with "pk" or
    "-pk"): the first page, the page after the cursor ``after``, or the one before
    ``before``; only rows matching one of ``any_of`` when given (a search). One query of
    ``size`` + 1 rows: the extra row tells whether more follow."""
    model = qs.model
    start = _decode(model, order, before) if before else None
    if start is not None:
        backwards = [n[1:] if n.startswith("-") else f"-{n}" for n in order]
        rows = _rows(qs.filter(_beyond(order, start, False)), backwards, size + 1, any_of)
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        return KeysetPage(
            rows,
            after=_encode(rows[-1], order) if rows else "",
            before=_encode(rows[0], order) if rows and more_before else "",
            query=query,
        )
    start = _decode(model, order, after) if after else None
    if start is not None:
        qs = qs.filter(_beyond(order, start, True))
    rows = _rows(qs, order, size + 1, any_of)
    more_after = len(rows) > size
    rows = rows[:size]
    return KeysetPage(
        rows,
        after=_encode(rows[-1], order) if rows and more_after else "",
        before=_encode(rows[0], order) if rows and start is not None else "",
        query=query,
    )


LEDGER_ORDER = ("-created_at", "-pk")


def keyset_page(qs: QuerySet, *, older: str = "", newer: str = "", size: int = 50) -> KeysetPage:
    """A page of the funds ledger (newest first) below ``older`` or above ``newer``."""
    return keyset(qs, LEDGER_ORDER, after=older, before=newer, size=size)
