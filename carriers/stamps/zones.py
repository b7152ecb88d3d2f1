"""Where a US ZIP code is and which time zone Stamps.com judges it by.

Stamps.com decides "before 9 pm" (SCAN forms, R30) and the shipping day by the ship-from ZIP
code's local time, not by any time zone a merchant picks (R43). ShipDesk applies the same rule
from this one table, and the sandbox reads it too, so the two can never disagree.
"""

from __future__ import annotations

import zoneinfo

DEFAULT_TIME_ZONE = "America/New_York"

# (first 3-digit prefix, last prefix, state), enough to place any US ZIP code.
_ZIP_RANGES = [
    (5, 5, "NY"), (6, 9, "PR"), (10, 27, "MA"), (28, 29, "RI"), (30, 38, "NH"), (39, 49, "ME"),
    (50, 59, "VT"), (60, 69, "CT"), (70, 89, "NJ"), (90, 99, "AE"), (100, 149, "NY"),
    (150, 196, "PA"), (197, 199, "DE"), (200, 205, "DC"), (206, 219, "MD"), (220, 246, "VA"),
    (247, 268, "WV"), (270, 289, "NC"), (290, 299, "SC"), (300, 319, "GA"), (340, 340, "AA"),
    (320, 349, "FL"), (350, 369, "AL"), (370, 385, "TN"), (386, 397, "MS"), (398, 399, "GA"),
    (400, 427, "KY"), (430, 459, "OH"), (460, 479, "IN"), (480, 499, "MI"), (500, 528, "IA"),
    (530, 549, "WI"), (550, 567, "MN"), (569, 569, "DC"), (570, 577, "SD"), (580, 588, "ND"),
    (590, 599, "MT"), (600, 629, "IL"), (630, 658, "MO"), (660, 679, "KS"), (680, 693, "NE"),
    (700, 714, "LA"), (716, 729, "AR"), (730, 749, "OK"), (750, 799, "TX"), (800, 816, "CO"),
    (820, 831, "WY"), (832, 838, "ID"), (840, 847, "UT"), (850, 865, "AZ"), (870, 884, "NM"),
    (885, 885, "TX"), (889, 898, "NV"), (900, 961, "CA"), (962, 966, "AP"), (967, 968, "HI"),
    (969, 969, "GU"), (970, 979, "OR"), (980, 994, "WA"), (995, 999, "AK"),
]  # fmt: skip

_TZ = {
    **dict.fromkeys(
        [
            "CT",
            "DE",
            "DC",
            "FL",
            "GA",
            "IN",
            "KY",
            "ME",
            "MD",
            "MA",
            "MI",
            "NH",
            "NJ",
            "NY",
            "NC",
            "OH",
            "PA",
            "RI",
            "SC",
            "VT",
            "VA",
            "WV",
            "AA",
            "AE",
        ],
        "America/New_York",
    ),
    **dict.fromkeys(
        [
            "AL",
            "AR",
            "IL",
            "IA",
            "KS",
            "LA",
            "MN",
            "MS",
            "MO",
            "NE",
            "ND",
            "OK",
            "SD",
            "TN",
            "TX",
            "WI",
        ],
        "America/Chicago",
    ),
    **dict.fromkeys(["CO", "MT", "NM", "UT", "WY", "ID"], "America/Denver"),
    "AZ": "America/Phoenix",
    **dict.fromkeys(["CA", "NV", "OR", "WA"], "America/Los_Angeles"),
    "AK": "America/Anchorage",
    "HI": "Pacific/Honolulu",
    "PR": "America/Puerto_Rico",
    "GU": "Pacific/Guam",
    "AP": "Pacific/Guam",
}

MILITARY_STATES = {"AA", "AE", "AP"}
NONCONTIGUOUS = {"AK", "HI", "PR", "GU", "AP", "AE", "AA"}


def state_for_zip(zip_code: str) -> str | None:
    digits = (zip_code or "").strip()[:3]
    if len(digits) != 3 or not digits.isdigit():
        return None
    prefix = int(digits)
    for lo, hi, state in _ZIP_RANGES:
        if lo <= prefix <= hi:
            return state
    return None


def time_zone_name(zip_code: str, state: str = "") -> str | None:
    """The IANA time zone of a ship-from address: the ZIP decides, the state is the fallback;
    None when neither places it."""
    place = state_for_zip(zip_code or "") or (state or "").strip().upper()
    return _TZ.get(place)


def time_zone_for(zip_code: str, state: str = "") -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(time_zone_name(zip_code, state) or DEFAULT_TIME_ZONE)
