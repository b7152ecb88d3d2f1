"""Safe CSV exports: no cell a spreadsheet would run as a formula (CSV injection)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

# Excel, LibreOffice and Google Sheets start a formula (or a DDE call) with these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value: Any) -> Any:
    """The value, with a leading apostrophe when a spreadsheet would read it as a formula.

    Numbers (Decimal, int, and text such as "-12.50") are left alone: they can't hold a
    formula, and accountants need them as numbers."""
    formula = isinstance(value, str) and value.startswith(FORMULA_STARTS)
    if formula and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer whose rows go through safe_cell; use for every CSV ShipDesk serves."""

    def __init__(self, file: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(file, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)
