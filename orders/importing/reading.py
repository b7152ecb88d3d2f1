"""Reading CSV files: encodings, delimiters, headers and the merchant's mapping."""

from __future__ import annotations

import csv
import io
import re

from django.conf import settings

from merchants.models import Merchant
from merchants.nul import NUL
from orders.importing.common import (
    COLUMNS,
    KNOWN_HEADERS,
    REQUIRED,
    MappingNeeded,
    OrderInput,
    RowError,
    UnreadableFile,
    fold,
)
from orders.models import ImportMapping


def decode(data: bytes | str) -> str:
    text = data if isinstance(data, str) else _decoded(data)
    # Text files never hold one, and PostgreSQL stores none: refused before any row is read.
    if NUL in text:
        raise UnreadableFile(
            "The file holds a NUL character, which CSV text never does: save it as CSV (UTF-8) "
            "and try again."
        )
    return text.removeprefix("\ufeff")


def _decoded(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("The file is not text: save it as CSV (UTF-8) and try again.")


def sniff_delimiter(header_line: str) -> str:
    """The header line decides: headers rarely contain commas, semicolons or tabs."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


# Any of the three line endings ends a line (old Mac exports still use a lone CR).
LINE_BREAK = re.compile(r"\r\n|\r|\n")


def read_table(data: bytes | str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Headers and (row number, cells) of a CSV; row 1 is the header, blank rows skipped.

    Refuses files wider than ORDERS_IMPORT_MAX_COLUMNS or longer than ORDERS_IMPORT_MAX_ROWS:
    both bound the work (and the mapping page) a single upload can cause."""
    text = decode(data)
    first_line = LINE_BREAK.split(text, maxsplit=1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first_line))
    try:
        headers = next(reader)
    except StopIteration:
        raise UnreadableFile("The file is empty.") from None
    except csv.Error as exc:
        raise UnreadableFile(f"The file is not valid CSV: {exc}") from exc
    max_columns = settings.ORDERS_IMPORT_MAX_COLUMNS
    if len(headers) > max_columns:
        raise UnreadableFile(
            f"The file has {len(headers):,} columns; ShipDesk reads at most {max_columns} columns."
            " Delete the columns you don't need and upload it again."
        )
    max_rows = settings.ORDERS_IMPORT_MAX_ROWS
    rows = []
    number = 1  # the header's; the row being read when a csv.Error stops the reader is next
    try:
        for number, cells in enumerate(reader, start=2):  # noqa: B007 (read in except)
            if any(c.strip() for c in cells):
                rows.append((number, cells))
                if len(rows) > max_rows:
                    raise UnreadableFile(
                        f"The file has more than {max_rows:,} rows; ShipDesk imports at"
                        f" most {max_rows:,} rows per file. Split it into smaller files."
                    )
    except csv.Error as exc:
        raise UnreadableFile(f"Row {number + 1} is not valid CSV: {exc}") from exc
    return headers, rows


def column_map(headers: list[str], saved: dict[str, str] | None = None) -> dict[str, int]:
    """ShipDesk field -> column index, from the known headers and the merchant's mapping."""
    saved = saved or {}
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        key = fold(header)
        target = saved.get(key) or KNOWN_HEADERS.get(key)
        if target in COLUMNS and target not in found:
            found[target] = index
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        raise MappingNeeded(headers, missing)
    return found


def unknown_headers(headers: list[str]) -> list[str]:
    return [h for h in headers if h.strip() and fold(h) not in KNOWN_HEADERS]


def saved_mapping(merchant: Merchant) -> dict[str, str]:
    mapping = ImportMapping.objects.for_merchant(merchant).first()
    return mapping.columns if mapping else {}


def save_mapping(merchant: Merchant, columns: dict[str, str]) -> ImportMapping:
    clean = {fold(k): v for k, v in columns.items() if v in COLUMNS}
    mapping, _ = ImportMapping.objects.get_or_create(merchant=merchant)
    mapping.columns = {**mapping.columns, **clean}
    mapping.save()
    return mapping


def group_rows(
    headers: list[str], rows: list[tuple[int, list[str]]], columns: dict[str, int]
) -> tuple[list[OrderInput], list[RowError]]:
    orders: dict[str, OrderInput] = {}
    errors: list[RowError] = []
    for number, cells in rows:
        values = {f: (cells[i].strip() if i < len(cells) else "") for f, i in columns.items()}
        key = values.get("order_number", "")
        if not key:
            errors.append(RowError(number, "Order Number is empty: every row needs one."))
            continue
        orders.setdefault(key, OrderInput(key, [])).rows.append((number, values))
    return list(orders.values()), errors
