"""The pieces every support section is built from: cells, sections and row limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from merchants.models import Merchant

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
