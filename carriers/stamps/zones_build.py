"""Writes ``carriers/stamps/zip_zones.py``, the ZIP code -> time zone and state tables that
``zones`` reads, from the ``zipcodes`` package's data (MIT; every US ZIP code in use with its
state and IANA zone).

The package unpacks 40 MB of rows on its first look-up, a second or more: paid by every web
and worker process that shows a location's time. The tables keep only what decides: the zone
and the state most ZIP codes of each 3-digit prefix are in, and the few hundred ZIP codes on
the other side of a line from their prefix. ``zipcodes`` is a development dependency, pinned so
that tests/carriers/stamps/test_zones.py can check the table is what this writes.

Run after upgrading ``zipcodes`` (or changing ``zones._CORRECTIONS``):
    .venv/bin/python -m carriers.stamps.zones_build
"""

from __future__ import annotations

import collections
import importlib.metadata
import zoneinfo
from pathlib import Path

TARGET = Path(__file__).with_name("zip_zones.py")


def tables() -> tuple[dict[str, str], dict[str, str]]:
    """(prefix -> its main zone, ZIP code -> zone where it differs from its prefix's)."""
    import zipcodes

    from carriers.stamps.zones import _CORRECTIONS

    known = zoneinfo.available_timezones()
    zones: dict[str, str] = {}
    for row in zipcodes.list_all():
        # A row may have no zone (military ZIP codes) or a town's name where it should be.
        name = _CORRECTIONS.get(row["zip_code"]) or row.get("timezone")
        if isinstance(name, str) and name in known:
            zones[row["zip_code"]] = name
    return _by_prefix(zones)


def state_tables() -> tuple[dict[str, str], dict[str, str]]:
    """(prefix -> the state most of its ZIP codes are in, ZIP code -> its state where it
    differs): a prefix is not always one state (201 is Virginia's Dulles, not DC's)."""
    import zipcodes

    return _by_prefix(
        {row["zip_code"]: row["state"] for row in zipcodes.list_all() if row.get("state")}
    )


def _by_prefix(values: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """``values`` (ZIP code -> zone or state) as (prefix -> the value most of its ZIP codes
    have, ZIP code -> its value where it differs from its prefix's)."""
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for zip_code, value in values.items():
        counts[zip_code[:3]][value] += 1
    # Ties go to the value named first alphabetically, so the table never depends on row order.
    prefixes = {
        prefix: min(c, key=lambda value: (-c[value], value)) for prefix, c in sorted(counts.items())
    }
    others = {z: value for z, value in sorted(values.items()) if prefixes[z[:3]] != value}
    return prefixes, others


def render() -> str:
    prefixes, others = tables()
    prefix_states, zip_states = state_tables()
    version = importlib.metadata.version("zipcodes")
    return (
        f'"""Written by carriers/stamps/zones_build.py from zipcodes {version}: do not edit.\n\n'
        "PREFIX_ZONES and PREFIX_STATES: the zone and the state most ZIP codes of each 3-digit\n"
        "prefix are in. ZIP_ZONES and ZIP_STATES: the ZIP codes in another zone or state than\n"
        'their prefix\'s."""\n\n'
        f"PREFIX_ZONES: dict[str, str] = {_literal(prefixes)}\n\n"
        f"ZIP_ZONES: dict[str, str] = {_literal(others)}\n\n"
        f"PREFIX_STATES: dict[str, str] = {_literal(prefix_states)}\n\n"
        f"ZIP_STATES: dict[str, str] = {_literal(zip_states)}\n"
    )


def _literal(table: dict[str, str]) -> str:
    """A dict literal as ruff formats it: one item a line."""
    return "{\n" + "".join(f'    "{k}": "{v}",\n' for k, v in table.items()) + "}"


def main() -> None:
    TARGET.write_text(render())
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
