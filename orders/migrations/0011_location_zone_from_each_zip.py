"""Ship-from locations placed by the old ZIP-prefix -> state -> one zone table take their
ZIP code's own zone (R43): Knoxville was on Chicago time, El Paso on Chicago's, Pensacola and
Gary on New York's.

Only a stored zone that the old table gave is replaced. Merchants have not picked a location's
zone since 0005 (the field is not editable and derived on every save); a zone the old table
did not give (a location outside the US, or one whose ZIP and state it could not place) may be
a merchant's choice from before then, and is left alone.
"""

from django.db import migrations

# The table as it was before this migration, frozen here: it tells which stored zones came
# from it, whatever carriers/stamps/zones.py becomes.
_OLD_ZIP_RANGES = [
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
]
_OLD_STATE_TZ = {
    **dict.fromkeys(
        ["CT", "DE", "DC", "FL", "GA", "IN", "KY", "ME", "MD", "MA", "MI", "NH", "NJ", "NY", "NC",
         "OH", "PA", "RI", "SC", "VT", "VA", "WV", "AA", "AE"],
        "America/New_York",
    ),
    **dict.fromkeys(
        ["AL", "AR", "IL", "IA", "KS", "LA", "MN", "MS", "MO", "NE", "ND", "OK", "SD", "TN", "TX",
         "WI"],
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


def old_time_zone_name(zip_code, state=""):
    """What the old table answered for a ship-from address (None when it could not place it)."""
    digits = (zip_code or "").strip()[:3]
    place = None
    if len(digits) == 3 and digits.isdigit():
        prefix = int(digits)
        place = next((s for lo, hi, s in _OLD_ZIP_RANGES if lo <= prefix <= hi), None)
    return _OLD_STATE_TZ.get(place or (state or "").strip().upper())


def zone_from_each_zip(apps, schema_editor):
    from carriers.stamps.zones import time_zone_name

    ShipFromLocation = apps.get_model("orders", "ShipFromLocation")
    moved = []
    for location in ShipFromLocation.objects.filter(country="US").only(
        "pk", "postal_code", "state", "time_zone"
    ):
        if location.time_zone != old_time_zone_name(location.postal_code, location.state):
            continue
        name = time_zone_name(location.postal_code, location.state)
        if name and name != location.time_zone:
            location.time_zone = name
            moved.append(location)
    ShipFromLocation.objects.bulk_update(moved, ["time_zone"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0010_plain_indexes"),
    ]

    operations = [
        # Going back keeps the corrected zones: the old answers were wrong.
        migrations.RunPython(zone_from_each_zip, migrations.RunPython.noop),
    ]
