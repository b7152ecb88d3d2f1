"""USPS carrier pickups (R33) for the next pickup day of a ship-from location.

Like SCAN forms, nothing is held open in a transaction while Stamps.com is called: the sandbox
runs in this process and SQLite locks the whole database while one is open.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db.models import QuerySet, Sum
from django.utils import timezone

from carriers.models import CarrierAccount
from carriers.stamps import errors
from carriers.stamps.accounts import call
from carriers.stamps.types import PickupAddress, PickupContact, PickupPackages
from endofday.models import Pickup
from endofday.shipping_day import EndOfDayError, ensure_usable
from locations.models import ShipFromLocation
from locations.shipping_day import local_today, next_shipping_day, settings_for
from shipments.models import Shipment

# USPS takes changes to a pickup until 2 AM Central time on the pickup day.
PICKUP_CHANGE_CUTOFF = dt.time(2, 0)
PICKUP_CHANGE_ZONE = ZoneInfo("America/Chicago")


def next_pickup_day(today: dt.date) -> dt.date:
    """R33: USPS schedules a pickup for the next pickup day only, Monday to Saturday."""
    return next_shipping_day(today)


@dataclass(frozen=True)
class PickupDay:
    requested: dt.date
    date: dt.date
    today: dt.date

    @property
    def moved(self) -> bool:
        return self.requested != self.date

    @property
    def note(self) -> str:
        if not self.moved:
            return ""
        return (
            f"USPS schedules pickups for the next pickup day only (Monday to Saturday), so a "
            f"pickup asked for on {self.today:%A, %B %-d} for {self.requested:%A, %B %-d} will be "
            f"scheduled for {self.date:%A, %B %-d}."
        )


def pickup_day_for(
    location: ShipFromLocation, requested: dt.date | None = None, now: dt.datetime | None = None
) -> PickupDay:
    today = local_today(location, now)
    day = next_pickup_day(today)
    return PickupDay(requested=requested or day, date=day, today=today)


def labels_for_pickup(
    merchant_id: int, location: ShipFromLocation, now: dt.datetime | None = None
) -> QuerySet[Shipment]:
    """Labels waiting at ``location``: bought, dated from today to the next pickup day."""
    day = pickup_day_for(location, now=now)
    return Shipment.objects.filter(
        merchant_id=merchant_id,
        ship_from=location,
        status=Shipment.Status.BOUGHT,
        ship_date__range=(day.today, day.date),
    )


def pickup_prefill(location: ShipFromLocation, now: dt.datetime | None = None) -> dict:
    labels = labels_for_pickup(location.merchant_id, location, now)
    summary = labels.aggregate(oz=Sum("weight_oz"))
    count = labels.count()
    ounces = summary["oz"] or Decimal("0")
    eod = settings_for(location)
    return {
        "location": location.pk,
        "requested_date": pickup_day_for(location, now=now).date,
        "package_count": count or 1,
        "total_weight_lb": max(1, math.ceil(ounces / 16)),
        "package_location": eod.pickup_location,
        "instructions": eod.pickup_instructions,
        "contact_phone": location.phone,
    }


def phone_digits(phone: str) -> str:
    """USPS wants a 10-digit US phone number."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        raise EndOfDayError("Give a 10-digit US phone number the carrier can call.")
    return digits


_PIECES = {
    "US-PM": "priority",
    "US-XM": "express",
    "US-FC": "first_class",
    "US-GA": "first_class",
    "US-PS": "parcel_select",
}


def _packages(
    location: ShipFromLocation,
    count: int,
    weight_lb: int,
    package_location: str,
    instructions: str,
    now: dt.datetime | None,
) -> PickupPackages:
    """The count by mail class from the labels waiting, when the merchant's count matches
    them; otherwise all as "other" (the carrier only needs the total to plan the truck)."""
    services = list(
        labels_for_pickup(location.merchant_id, location, now).values_list("service", "to_country")
    )
    pieces: Counter[str] = Counter()
    if len(services) == count:
        for service, country in services:
            kind = "international" if country != "US" else _PIECES.get(service, "other")
            pieces[kind] += 1
    else:
        pieces["other"] = count
    return PickupPackages(
        priority=pieces["priority"],
        express=pieces["express"],
        international=pieces["international"],
        first_class=pieces["first_class"],
        parcel_select=pieces["parcel_select"],
        other=pieces["other"],
        total_weight_lb=max(1, weight_lb),
        location=package_location,
        instructions=instructions[:75],
    )


def _contact(location: ShipFromLocation, phone: str) -> PickupContact:
    names = location.contact_name.split()
    first = names[0] if names else location.name
    last = " ".join(names[1:]) or first
    return PickupContact(first_name=first[:50], last_name=last[:50], phone=phone)


def _pickup_address(location: ShipFromLocation) -> PickupAddress:
    return PickupAddress(
        company=location.company,
        address=location.street1,
        address2=location.street2,
        city=location.city,
        state=location.state,
        zip_code=location.postal_code[:5],
    )


def _carrier_date(text: str, fallback: dt.date | None) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%m/%d/%Y").date()
    except (TypeError, ValueError):
        return fallback


def _pickup_error(exc: errors.StampsError, doing: str) -> EndOfDayError:
    if not exc.permanent:
        return EndOfDayError(
            f"{exc.explanation} The pickup may have been {doing} anyway: check the pickups in "
            "Stamps.com or call USPS at 1-800-275-8777 before trying again."
        )
    return EndOfDayError(exc.merchant_message)


def schedule_pickup(
    account: CarrierAccount,
    location: ShipFromLocation,
    *,
    requested_date: dt.date | None,
    package_count: int,
    total_weight_lb: int,
    package_location: str,
    instructions: str = "",
    contact_phone: str,
    user=None,
    now: dt.datetime | None = None,
) -> Pickup:
    """SWSIM ScheduleCarrierPickup for the next pickup day (R33); the carrier's answer (date
    and confirmation number) is what is kept."""
    if account.merchant_id != location.merchant_id:
        raise EndOfDayError("That carrier account belongs to another store.")
    ensure_usable(account)
    if package_count < 1:
        raise EndOfDayError("A pickup needs at least one package.")
    phone = phone_digits(contact_phone)
    day = pickup_day_for(location, requested_date, now)
    packages = _packages(
        location, package_count, total_weight_lb, package_location, instructions, now
    )
    pickup = Pickup.objects.create(
        merchant_id=account.merchant_id,
        account=account,
        location=location,
        requested_date=day.requested,
        pickup_date=day.date,
        package_count=package_count,
        total_weight_lb=packages.total_weight_lb,
        package_location=package_location,
        instructions=packages.instructions,
        contact_phone=phone,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    try:
        answer = call(
            account,
            lambda c: c.schedule_carrier_pickup(
                _contact(location, phone), _pickup_address(location), packages
            ),
        )
    except errors.StampsError as exc:
        error = _pickup_error(exc, "scheduled")
        Pickup.objects.filter(pk=pickup.pk).update(
            status=Pickup.Status.FAILED, failure=error.message
        )
        raise error from exc
    Pickup.objects.filter(pk=pickup.pk).update(
        status=Pickup.Status.SCHEDULED,
        confirmation_number=answer.confirmation_number,
        pickup_date=_carrier_date(answer.pickup_date, day.date),
    )
    pickup.refresh_from_db()
    return pickup


def change_deadline(pickup: Pickup) -> dt.datetime | None:
    if pickup.pickup_date is None:
        return None
    return dt.datetime.combine(pickup.pickup_date, PICKUP_CHANGE_CUTOFF, PICKUP_CHANGE_ZONE)


def can_change(pickup: Pickup, now: dt.datetime | None = None) -> bool:
    deadline = change_deadline(pickup)
    return (
        pickup.status == Pickup.Status.SCHEDULED
        and deadline is not None
        and (now or timezone.now()) < deadline
    )


def _ensure_changeable(pickup: Pickup, now: dt.datetime | None) -> None:
    if pickup.status != Pickup.Status.SCHEDULED:
        raise EndOfDayError(f"This pickup is {pickup.get_status_display().lower()}.")
    if not can_change(pickup, now):
        raise EndOfDayError(
            "USPS takes changes to a pickup only until 2 AM Central time on the pickup day. "
            "Call USPS at 1-800-275-8777 to change it now."
        )


def modify_pickup(
    pickup: Pickup,
    *,
    package_count: int,
    total_weight_lb: int,
    package_location: str,
    instructions: str = "",
    contact_phone: str,
    now: dt.datetime | None = None,
    by: User | None = None,
) -> Pickup:
    """SWSIM ModifyCarrierPickup, until the carrier's cut-off on the pickup day."""
    _ensure_changeable(pickup, now)
    if package_count < 1:
        raise EndOfDayError("A pickup needs at least one package; cancel it instead.")
    phone = phone_digits(contact_phone)
    location = pickup.location
    packages = _packages(
        location, package_count, total_weight_lb, package_location, instructions, now
    )
    try:
        call(
            pickup.account,
            lambda c: c.modify_carrier_pickup(
                pickup.confirmation_number, _contact(location, phone), packages
            ),
        )
    except errors.StampsError as exc:
        raise _pickup_error(exc, "changed") from exc
    Pickup.objects.filter(pk=pickup.pk).update(
        package_count=package_count,
        total_weight_lb=packages.total_weight_lb,
        package_location=package_location,
        instructions=packages.instructions,
        contact_phone=phone,
        modified_at=timezone.now(),
        modified_by=by,
    )
    pickup.refresh_from_db()
    return pickup


def cancel_pickup(pickup: Pickup, now: dt.datetime | None = None, by: User | None = None) -> Pickup:
    """SWSIM CancelCarrierPickup, until the carrier's cut-off on the pickup day."""
    _ensure_changeable(pickup, now)
    try:
        call(pickup.account, lambda c: c.cancel_carrier_pickup(pickup.confirmation_number))
    except errors.StampsError as exc:
        raise _pickup_error(exc, "cancelled") from exc
    Pickup.objects.filter(pk=pickup.pk).update(
        status=Pickup.Status.CANCELLED, cancelled_at=timezone.now(), cancelled_by=by
    )
    pickup.refresh_from_db()
    return pickup


def split_pickups(
    pickups: Iterable[Pickup], now: dt.datetime | None = None
) -> tuple[list[Pickup], list[Pickup]]:
    """(upcoming, past): upcoming are scheduled for today or later at their location."""
    upcoming, past = [], []
    for p in pickups:
        scheduled = p.status == Pickup.Status.SCHEDULED
        if (
            scheduled
            and p.pickup_date is not None
            and p.pickup_date >= local_today(p.location, now)
        ):
            upcoming.append(p)
        else:
            past.append(p)
    upcoming.sort(key=lambda p: (p.pickup_date, p.pk))
    return upcoming, past
