"""Row ids from query strings and form posts, parsed strictly.

``str.isdigit()`` alone accepts "²" and "١٢" (int() then fails or reads them as digits) and
any length (a database integer overflows): ids are ASCII digits, at most MAX_ID_DIGITS long.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_ID_DIGITS = 18  # every such number fits a 64-bit signed integer


def ascii_digits(text: str) -> bool:
    """Whether ``text`` is one or more of 0-9 and nothing else: codes, ZIP codes and card
    numbers as the carrier and ``int()`` read them (``str.isdigit()`` alone takes "²")."""
    return text.isascii() and text.isdigit()


def parse_id(value: object) -> int | None:
    text = str(value).strip() if value is not None else ""
    if ascii_digits(text) and len(text) <= MAX_ID_DIGITS:
        return int(text)
    return None


def parse_ids(values: Iterable[object]) -> list[int]:
    """The valid ids among ``values``, in order; anything else is ignored."""
    return [i for i in (parse_id(v) for v in values) if i is not None]
