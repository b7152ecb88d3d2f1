"""The time zones a store may pick, as a merchant reads them.

Python knows about 600 zone names, a quarter of them aliases kept for old software
("US/Eastern", "Asia/Calcutta", "Etc/GMT+5", "Canada/Pacific"): a sign-up list of all of them
is long and offers the same clock under several names. The list shows the United States' zones
first, by the names people use ("Eastern (New York)"), then every other place's canonical zone.
A store saved under an alias before keeps it: it stays valid (``models.TIME_ZONE_CHOICES``
holds every name) and is offered on its own settings page.
"""

from __future__ import annotations

import zoneinfo
from functools import cache
from pathlib import Path

# The US zones a US shipper picks from; the clocks of the lower 48 first.
UNITED_STATES: tuple[tuple[str, str], ...] = (
    ("America/New_York", "Eastern (New York)"),
    ("America/Chicago", "Central (Chicago)"),
    ("America/Denver", "Mountain (Denver)"),
    ("America/Phoenix", "Mountain, no daylight saving (Phoenix)"),
    ("America/Los_Angeles", "Pacific (Los Angeles)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("America/Adak", "Hawaii-Aleutian (Adak)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
    ("America/Puerto_Rico", "Atlantic (Puerto Rico, US Virgin Islands)"),
    ("Pacific/Guam", "Chamorro (Guam, Northern Mariana Islands)"),
    ("Pacific/Pago_Pago", "Samoa (American Samoa)"),
)

# Whole areas of aliases kept only for old software (tzdata's "backward" file).
_ALIAS_AREAS = ("Etc/", "US/", "Canada/", "Brazil/", "Mexico/", "Chile/", "Arctic/", "SystemV/")


def _aliases() -> set[str]:
    """The names tzdata lists as links to another zone ("L target alias" lines of tzdata.zi),
    where the system's zone files carry that list (Debian's tzdata does); none otherwise, and
    then only the alias areas above are left out."""
    for root in zoneinfo.TZPATH:
        listing = Path(root) / "tzdata.zi"
        if listing.is_file():
            lines = listing.read_text(encoding="utf-8").splitlines()
            return {line.split()[2] for line in lines if line.startswith("L ")}
    return set()


def label(zone: str) -> str:
    """A zone as the list shows it: "Eastern (New York)", or "Europe/Berlin" without its
    underscores ("America/Argentina/Buenos Aires")."""
    return dict(UNITED_STATES).get(zone) or zone.replace("_", " ")


@cache
def _elsewhere() -> tuple[tuple[str, str], ...]:
    ours = dict(UNITED_STATES)
    aliases = _aliases()
    return tuple(
        (zone, label(zone))
        for zone in sorted(zoneinfo.available_timezones())
        if "/" in zone
        and zone not in ours
        and zone not in aliases
        and not zone.startswith(_ALIAS_AREAS)
    )


def zone_choices(current: str = "") -> list[tuple[str, list[tuple[str, str]]]]:
    """The list, grouped: the United States, then elsewhere; ``current`` (a store's saved
    zone) is offered even when it is an alias the list leaves out, so saving the page
    unchanged keeps it."""
    elsewhere = list(_elsewhere())
    if current and current not in dict(UNITED_STATES) and current not in dict(elsewhere):
        elsewhere.insert(0, (current, label(current)))
    return [("United States", list(UNITED_STATES)), ("Elsewhere", elsewhere)]
