"""The shipping day of a ship-from location, in its own time zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from locations.models import EndOfDaySettings, ShipFromLocation

SUNDAY = 6
SCAN_FORM_DEADLINE = dt.time(21, 0)  # R30: the carrier's 9 pm, local time of the ship-from ZIP


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


def ship_date_for(
    location: ShipFromLocation, now: dt.datetime | None = None, *, cutoff: dt.time | None = None
) -> dt.date:
    """The ship date a label printed now gets: after the location's cut-off, the next day, so
    today's SCAN form never meets a label it cannot close (R31). ``cutoff``: the location's
    cut-off when the caller read it already."""
    local = local_now(location, now)
    if cutoff is None:
        cutoff = settings_for(location).cutoff_time
    if local.time() >= cutoff or local.weekday() == SUNDAY:
        return next_shipping_day(local.date())
    return local.date()


def scan_form_deadline(location: ShipFromLocation, now: dt.datetime | None = None) -> dt.datetime:
    """The next moment SCAN forms stop being accepted for this location: 9 pm local today, or
    tomorrow's once today's has passed (R30)."""
    local = local_now(location, now)
    deadline = dt.datetime.combine(local.date(), SCAN_FORM_DEADLINE, tzinfo=location.zone)
    if local >= deadline:
        deadline = dt.datetime.combine(
            local.date() + dt.timedelta(days=1), SCAN_FORM_DEADLINE, tzinfo=location.zone
        )
    return deadline


@dataclass(frozen=True)
class ScanFormDeadline:
    """What the countdown on the shipments and end-of-day pages shows for one location."""

    location: ShipFromLocation
    deadline: dt.datetime  # in the location's time zone
    seconds_left: int
    open_today: bool  # False after 9 pm: the next deadline is tomorrow's

    @property
    def left(self) -> str:
        hours, rest = divmod(self.seconds_left, 3600)
        minutes = rest // 60
        return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def scan_form_deadlines(
    locations: Iterable[ShipFromLocation], now: dt.datetime | None = None
) -> list[ScanFormDeadline]:
    now = now or timezone.now()
    found = []
    for location in locations:
        deadline = scan_form_deadline(location, now)
        found.append(
            ScanFormDeadline(
                location=location,
                deadline=deadline,
                seconds_left=int((deadline - now).total_seconds()),
                open_today=deadline.date() == local_today(location, now),
            )
        )
    return found
