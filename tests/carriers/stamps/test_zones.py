"""R43: a ship-from ZIP code's own time zone, not its state's (carriers/stamps/zones.py)."""

from __future__ import annotations

import zoneinfo

import pytest

from carriers.stamps.zones import DEFAULT_TIME_ZONE, time_zone_for, time_zone_name

# Places on the other side of their state's usual line; each was an hour off when the zone
# followed the state.
SPLIT_STATES = [
    ("Knoxville, TN", "37902", "TN", "America/New_York"),
    ("Chattanooga, TN", "37402", "TN", "America/New_York"),
    ("El Paso, TX", "79901", "TX", "America/Denver"),
    ("Pensacola, FL", "32501", "FL", "America/Chicago"),
    ("Panama City, FL", "32401", "FL", "America/Chicago"),
    ("Gary, IN", "46402", "IN", "America/Chicago"),
    ("Evansville, IN", "47708", "IN", "America/Chicago"),
    ("Paducah, KY", "42001", "KY", "America/Chicago"),
    ("Bowling Green, KY", "42101", "KY", "America/Chicago"),
    ("Rapid City, SD", "57701", "SD", "America/Denver"),
    ("Dickinson, ND", "58601", "ND", "America/Denver"),
    ("Scottsbluff, NE", "69361", "NE", "America/Denver"),
    ("Goodland, KS", "67735", "KS", "America/Denver"),
    ("Coeur d'Alene, ID", "83814", "ID", "America/Los_Angeles"),
    ("Lewiston, ID", "83501", "ID", "America/Los_Angeles"),
    ("Ontario, OR (Malheur County)", "97914", "OR", "America/Boise"),
    ("Window Rock, AZ (Navajo Nation)", "86515", "AZ", "America/Denver"),
    ("Iron Mountain, MI", "49801", "MI", "America/Menominee"),
    ("Ironwood, MI", "49938", "MI", "America/Menominee"),
    ("Pago Pago, AS", "96799", "AS", "Pacific/Pago_Pago"),
    ("Majuro, MH", "96960", "MH", "Pacific/Majuro"),
    # Rows the zipcodes data gets wrong, corrected in zones.py.
    ("Chattanooga, TN (37405)", "37405", "TN", "America/New_York"),
    ("El Paso PO boxes, TX", "79942", "TX", "America/Denver"),
    ("Tuba City, AZ (Navajo Nation)", "86045", "AZ", "America/Denver"),
    ("West Wendover, NV", "89883", "NV", "America/Denver"),
]


@pytest.mark.parametrize(
    ("zip_code", "state", "zone"),
    [row[1:] for row in SPLIT_STATES],
    ids=[row[0] for row in SPLIT_STATES],
)
def test_R43_a_zip_in_a_split_state_takes_its_own_zone_not_its_states(zip_code, state, zone):
    assert time_zone_name(zip_code, state) == zone
    assert time_zone_name(f"{zip_code}-1234", state) == zone  # ZIP+4
    assert time_zone_for(zip_code, state) == zoneinfo.ZoneInfo(zone)


@pytest.mark.parametrize(
    ("zip_code", "state", "zone"),
    [
        # Unassigned ZIP codes take the zone of the ZIP codes sharing their first three digits:
        ("32599", "FL", "America/Chicago"),  # Pensacola's, not Florida's New York
        ("79994", "TX", "America/Denver"),  # El Paso's, not Texas's Chicago
        # No ZIP code shares its first three digits: the state's main zone.
        ("00100", "MP", "Pacific/Saipan"),
        ("00100", "AS", "Pacific/Pago_Pago"),
        ("00100", "VI", "America/St_Thomas"),
    ],
)
def test_R43_an_unknown_zip_takes_its_neighbours_zone_else_its_states(zip_code, state, zone):
    assert time_zone_name(zip_code, state) == zone


@pytest.mark.parametrize(
    "zip_code", ["", "   ", "ABCDE", "12", "0000", "00000", "9O210", "11²01", "１１２０１"]
)
def test_a_zip_that_places_nothing_never_breaks_the_look_up(zip_code):
    # The data's own look-up raises on such input; the zone falls back to the state, and
    # without one to the default.
    assert time_zone_name(zip_code, "TN") == "America/Chicago"
    assert time_zone_name(zip_code) is None
    assert time_zone_for(zip_code) == zoneinfo.ZoneInfo(DEFAULT_TIME_ZONE)


def test_the_committed_table_is_what_the_zipcodes_data_gives():
    # zones reads carriers/stamps/zip_zones.py, written from the pinned zipcodes package (40 MB
    # unpacked, kept out of every web and worker process): regenerate it after an upgrade.
    from carriers.stamps import zones_build

    assert zones_build.TARGET.read_text() == zones_build.render(), (
        "carriers/stamps/zip_zones.py is stale: run .venv/bin/python -m carriers.stamps.zones_build"
    )


def test_the_zone_look_up_never_loads_the_zipcodes_package():
    import subprocess
    import sys

    probe = (
        "import sys; import carriers.stamps.zones as z; z.time_zone_name('37902', 'TN'); "
        "print('zipcodes' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("zip_code", "state"),
    [
        ("20166", "VA"),  # Dulles: prefix 201 is Virginia's, not DC's
        ("00802", "VI"),  # St. Thomas: prefix 008 is the Virgin Islands, not Puerto Rico
        ("05501", "MA"),  # Andover's IRS ZIP codes are Massachusetts', not Vermont's
        ("73301", "TX"),  # Austin's IRS ZIP code: prefix 733 is Texas', not Oklahoma's
        ("88888", "DC"),  # Santa's ZIP code, a prefix the ranges had no state for
        ("20001", "DC"),
        ("09001", "AE"),
        ("96201", "AP"),
        ("37902", "TN"),
    ],
)
def test_a_zip_code_is_in_the_state_the_data_says(zip_code, state):
    from carriers.stamps.zones import state_for_zip

    assert state_for_zip(zip_code) == state
