"""The shipping day of a ship-from location, in its own time zone."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from locations.models import EndOfDaySettings, ShipFromLocation

SUNDAY = 6


def local_now(location: ShipFromLocation, now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()).astimezone(location.zone)


def local_today(location: ShipFromLocation, now: dt.datetime | None = None) -> dt.date:
    return local_now(location, now).date()


def settings_for(location: ShipFromLocation) -> EndOfDaySettings:
    """The location's end-of-day settings (unsaved defaults when never changed)."""
    found = EndOfDaySettings.objects.filter(location=location).first()
    return found or EndOfDaySettings(merchant_id=location.merchant_id, location=location)


def next_shipping_day(day: dt.date) -> dt.date:
    """USPS collects Monday to Saturday."""
    day += dt.timedelta(days=1)
    return day + dt.timedelta(days=1) if day.weekday() == SUNDAY else day


def ship_date_for(location: ShipFromLocation, now: dt.datetime | None = None) -> dt.date:
    """The ship date a label printed now gets: after the location's cut-off, the next day, so
    today's SCAN form never meets a label it cannot close (R31)."""
    local = local_now(location, now)
    if local.time() >= settings_for(location).cutoff_time or local.weekday() == SUNDAY:
        return next_shipping_day(local.date())
    return local.date()
