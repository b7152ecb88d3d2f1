"""Where an address is (the ZIP table shared with ShipDesk) and the USPS zone between ZIPs."""

from __future__ import annotations

import zoneinfo

from carriers.stamps.zones import MILITARY_STATES, NONCONTIGUOUS, state_for_zip, time_zone_for

__all__ = ["MILITARY_STATES", "country_group", "state_for_zip", "time_zone", "zone"]


def time_zone(address: dict) -> zoneinfo.ZoneInfo:
    """The ship-from time zone: the ZIP decides, the State field is the fallback."""
    return time_zone_for(address.get("ZIPCode") or "", address.get("State") or "")


def zone(from_zip: str, to_zip: str) -> int:
    """USPS zone 1-9 from the distance between 3-digit prefixes (a stand-in for the chart)."""
    a, b = (from_zip or "")[:3], (to_zip or "")[:3]
    if not (a.isdigit() and b.isdigit()):
        return 8
    if state_for_zip(to_zip) in NONCONTIGUOUS or state_for_zip(from_zip) in NONCONTIGUOUS:
        return 9 if a != b else 1
    if a == b:
        return 1
    return 2 + min(6, abs(int(a) - int(b)) // 130)


_GROUP = {
    "CA": 1,
    "MX": 2,
    **dict.fromkeys(
        [
            "GB",
            "IE",
            "FR",
            "DE",
            "NL",
            "BE",
            "LU",
            "ES",
            "PT",
            "IT",
            "AT",
            "CH",
            "DK",
            "SE",
            "NO",
            "FI",
            "PL",
            "CZ",
            "GR",
            "IS",
        ],
        3,
    ),
    **dict.fromkeys(["AU", "NZ", "JP", "KR", "CN", "HK", "TW", "SG", "IN"], 4),
}


def country_group(country: str) -> int:
    """International price group: 1 Canada, 2 Mexico, 3 Europe, 4 Asia-Pacific, 5 the rest."""
    return _GROUP.get((country or "").upper(), 5)
