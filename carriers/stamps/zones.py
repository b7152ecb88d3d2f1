"""Where a US ZIP code is and which time zone Stamps.com judges it by.

Stamps.com decides "before 9 pm" (SCAN forms, R30) and the shipping day by the ship-from ZIP
code's local time, not by any time zone a merchant picks (R43). ShipDesk applies the same rule
from this one module, and the sandbox reads it too, so the two can never disagree.

A state is not a time zone: Tennessee, Kentucky, Indiana, Florida, Michigan, the Dakotas,
Nebraska, Kansas, Texas, Idaho, Oregon and Arizona (the Navajo Nation keeps daylight time) are
split. So the zone comes from each ZIP code's own row in the `zipcodes` package's data (MIT:
every ZIP code in use with its IANA zone, refreshed monthly upstream), with the few rows it
gets wrong corrected below, kept in ``zip_zones`` (written by ``zones_build``: the zone of each
3-digit prefix and the ZIP codes on the other side of a line, 40 KB instead of the package's
40 MB unpacked in every process). A ZIP code the data does not know takes the zone most ZIP
codes sharing its first three digits are in, else its state's main zone.
"""

from __future__ import annotations

import zoneinfo

from carriers.stamps.zip_zones import PREFIX_STATES, PREFIX_ZONES, ZIP_STATES, ZIP_ZONES
from merchants.ids import ascii_digits

DEFAULT_TIME_ZONE = "America/New_York"

# (first 3-digit prefix, last prefix, state): the state of a ZIP code whose prefix the data
# has no ZIP code in (``state_for_zip``; the sandbox's address check, a time zone's last
# resort), never its time zone.
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

# Each state's (and territory's) main zone, the one most of its ZIP codes are in (zipcodes'
# data): the answer for a ZIP code that neither the data nor its neighbours place. Military
# "states" have no zone of their own; AA and AE keep New York's, AP Guam's, as they always had.
_STATE_TZ = {
    **dict.fromkeys(
        ["CT", "DC", "DE", "FL", "GA", "KY", "MA", "MD", "ME", "NC", "NH", "NJ", "NY", "OH", "PA",
         "RI", "SC", "VA", "VT", "WV", "AA", "AE"],
        "America/New_York",
    ),
    "MI": "America/Detroit",
    "IN": "America/Indiana/Indianapolis",
    **dict.fromkeys(
        ["AL", "AR", "IA", "IL", "KS", "LA", "MN", "MO", "MS", "ND", "NE", "OK", "SD", "TN", "TX",
         "WI"],
        "America/Chicago",
    ),
    **dict.fromkeys(["CO", "MT", "NM", "UT", "WY"], "America/Denver"),
    "ID": "America/Boise",
    "AZ": "America/Phoenix",
    **dict.fromkeys(["CA", "NV", "OR", "WA"], "America/Los_Angeles"),
    "AK": "America/Anchorage",
    "HI": "Pacific/Honolulu",
    "PR": "America/Puerto_Rico",
    "VI": "America/St_Thomas",
    "GU": "Pacific/Guam",
    "AP": "Pacific/Guam",
    "MP": "Pacific/Saipan",
    "AS": "Pacific/Pago_Pago",
    "FM": "Pacific/Chuuk",
    "MH": "Pacific/Majuro",
    "PW": "Pacific/Palau",
}  # fmt: skip

# Rows of zipcodes' data that put a ZIP code on the wrong side of a line: found by comparing
# every ZIP's zone with the zone its coordinates lie in, kept where the town's clock is not in
# doubt. Compare again when upgrading the package (or tell its maintainers).
_CORRECTIONS = {
    "37405": "America/New_York",  # Chattanooga: all of Hamilton County, TN is Eastern
    "79942": "America/Denver",  # El Paso PO boxes (the row names Crockett County)
    "67857": "America/Denver",  # Kendall, Hamilton County: one of Kansas's Mountain counties
    "83522": "America/Los_Angeles",  # Cottonwood, Idaho County north of the Salmon River
    "86003": "America/Phoenix",  # Flagstaff PO boxes: Arizona keeps standard time
    "86040": "America/Phoenix",  # Page, off the Navajo Nation
    "86045": "America/Denver",  # Tuba City, on the Navajo Nation, which keeps daylight time
    "89883": "America/Denver",  # West Wendover, NV: on Mountain time since 1999
}

MILITARY_STATES = {"AA", "AE", "AP"}
NONCONTIGUOUS = {"AK", "HI", "PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW", "AP", "AE", "AA"}


def state_for_zip(zip_code: str) -> str | None:
    """The state (territory, military "state") of a US ZIP code: its own in the data, else its
    prefix's; a prefix the data has no ZIP code of falls in the ranges above."""
    zip5 = (zip_code or "").strip()[:5]
    digits = zip5[:3]
    if len(digits) != 3 or not ascii_digits(digits):
        return None
    found = ZIP_STATES.get(zip5) or PREFIX_STATES.get(digits)
    if found:
        return found
    prefix = int(digits)
    for lo, hi, state in _ZIP_RANGES:
        if lo <= prefix <= hi:
            return state
    return None


def time_zone_name(zip_code: str, state: str = "") -> str | None:
    """The IANA time zone of a ship-from address: the ZIP decides, then its neighbours, then
    the state; None when none of them places it."""
    zip5 = (zip_code or "").strip()[:5]
    if len(zip5) == 5 and ascii_digits(zip5):
        found = _CORRECTIONS.get(zip5) or ZIP_ZONES.get(zip5) or PREFIX_ZONES.get(zip5[:3])
        if found:
            return found
    place = state_for_zip(zip_code or "") or (state or "").strip().upper()
    return _STATE_TZ.get(place)


def time_zone_for(zip_code: str, state: str = "") -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(time_zone_name(zip_code, state) or DEFAULT_TIME_ZONE)
