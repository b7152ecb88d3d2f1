"""Adding, changing, deleting a ship-from location and choosing the default, each recorded in
the store's activity log in the same transaction as the change."""

from __future__ import annotations

from django.db import transaction

from locations.forms import ShipFromLocationForm
from locations.models import ShipFromLocation
from merchants import events

# The fields a merchant edits, compared before and after a save for the activity log.
EDITABLE = ShipFromLocationForm.Meta.fields


def _where(location: ShipFromLocation) -> str:
    return f"{location.city}, {location.state} {location.postal_code}"


@transaction.atomic
def make_default(location: ShipFromLocation, by) -> None:
    """New orders ship from ``location``; the activity log names the one it replaces."""
    if location.is_default:
        return
    previous = (
        ShipFromLocation.objects.for_merchant(location.merchant).filter(is_default=True).first()
    )
    ShipFromLocation.objects.for_merchant(location.merchant).filter(is_default=True).exclude(
        pk=location.pk
    ).update(is_default=False)
    ShipFromLocation.objects.filter(pk=location.pk).update(is_default=True)
    location.is_default = True
    events.record(
        location.merchant,
        by,
        events.Action.LOCATION_DEFAULT,
        subject=location.name,
        detail=f"was “{previous.name}”" if previous else "",
    )


@transaction.atomic
def save_location(
    form: ShipFromLocationForm, merchant, by, before: dict | None = None
) -> ShipFromLocation:
    """Saves a new location (``before`` None) or an edited one (``before``: its
    ``events.snapshot`` taken before the form was validated); the log says which fields."""
    location = form.save(commit=False)
    location.merchant = merchant
    first = not ShipFromLocation.objects.for_merchant(merchant).exclude(pk=location.pk).exists()
    location.is_default = location.is_default or first
    location.save()
    if before is None:
        action, detail = events.Action.LOCATION_ADDED, _where(location)
        detail += ", the default" if first else ""
    else:
        action, detail = events.Action.LOCATION_CHANGED, events.changes(before, location)
        if not detail:
            return location  # saved as it was: nothing to log
        if before["name"] != location.name:
            detail = detail.replace("location name", f"location name (was “{before['name']}”)")
    events.record(merchant, by, action, subject=location.name, detail=detail)
    return location


@transaction.atomic
def delete_location(location: ShipFromLocation, by) -> None:
    """Raises ProtectedError when labels or SCAN forms still name the location."""
    location.delete()
    events.record(
        location.merchant,
        by,
        events.Action.LOCATION_DELETED,
        subject=location.name,
        detail=_where(location),
    )
