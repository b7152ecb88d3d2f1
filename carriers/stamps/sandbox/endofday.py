"""SCAN forms, pickups and links to the carrier's pages."""

from __future__ import annotations

from .labels import _todo

create_manifest = schedule_carrier_pickup = modify_carrier_pickup = _todo
cancel_carrier_pickup = get_url = _todo
