"""End of day: SCAN forms (R30-R32) and USPS pickups (R33), in each location's own time zone.

Every carrier call follows the same shape, because the sandbox runs in this process and SQLite
locks the whole database while a transaction is open: reserve in one short transaction, call
Stamps.com with no transaction held, record the answer in a second short transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from carriers.models import CarrierAccount
from carriers.services import AccountNotUsable, require_usable
from carriers.stamps import errors
from carriers.stamps.accounts import call
from carriers.stamps.types import Manifest, PickupAddress, PickupContact, PickupPackages
from endofday.models import EndOfDaySettings, Pickup, ScanForm, ScanFormLabel
from orders.models import ShipFromLocation
from shipments.models import Shipment
from shipments.rating import from_address

log = logging.getLogger(__name__)

SCAN_FORM_CUTOFF = dt.time(21, 0)  # R30, local time of the ship-from location
# USPS takes changes to a pickup until 2 AM Central time on the pickup day.
PICKUP_CHANGE_CUTOFF = dt.time(2, 0)
PICKUP_CHANGE_ZONE = ZoneInfo("America/Chicago")
SUNDAY = 6
REPORTS_PAGE = "OnlineReportsPage"


class EndOfDayError(Exception):
    """A SCAN form or pickup was refused; ``message`` says why and what to do."""

    def __init__(self, message: str, *, link: str = "", link_text: str = ""):
        super().__init__(message)
        self.message = message
        self.link = link
        self.link_text = link_text


# --- the shipping day of a location -------------------------------------------------------


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


def scan_form_refusal(location: ShipFromLocation, now: dt.datetime | None = None) -> str:
    """R30: why a SCAN form cannot be created now ("" when it can)."""
    local = local_now(location, now)
    if local.time() < SCAN_FORM_CUTOFF:
        return ""
    return (
        f"SCAN forms can only be created before 9pm local time of the ship-from location: it is "
        f"{local:%-I:%M %p} in {location.name} ({location.time_zone}). Create tomorrow's SCAN form "
        "tomorrow before 9pm; packages from today can still be handed in at the Post Office, "
        "where each is scanned on its own."
    )


# --- SCAN forms ---------------------------------------------------------------------------


def _not_on_a_form() -> Exists:
    return Exists(ScanFormLabel.objects.filter(shipment=OuterRef("pk")))


def eligible_labels(
    account: CarrierAccount, location: ShipFromLocation, now: dt.datetime | None = None
) -> QuerySet[Shipment]:
    """R31: bought (not voided) labels of this account and location, dated today there, with a
    tracking number, on no SCAN form yet."""
    return (
        Shipment.objects.filter(
            merchant_id=account.merchant_id,
            account=account,
            ship_from=location,
            status=Shipment.Status.BOUGHT,
            ship_date=local_today(location, now),
        )
        .exclude(tracking_number="")
        .exclude(_not_on_a_form())
        .select_related("order")
        .order_by("created_at", "pk")
    )


def _why_not_eligible(
    shipment: Shipment, account: CarrierAccount, location: ShipFromLocation, day: dt.date
) -> str:
    name = f"Order {shipment.order.number}"
    form = ScanFormLabel.objects.filter(shipment=shipment).select_related("scan_form").first()
    if form is not None:
        form_name = form.scan_form.manifest_id or "another SCAN form being created"
        return f"{name} is already on SCAN form {form_name}."
    if shipment.status == Shipment.Status.VOIDED:
        return f"{name}: the label was voided."
    if shipment.status != Shipment.Status.BOUGHT:
        return f"{name}: the label was not created."
    if shipment.account_id != account.pk:
        return f"{name} was bought on another carrier account."
    if shipment.ship_from_id != location.pk:
        return f"{name} ships from another location."
    if not shipment.tracking_number:
        return f"{name} has no tracking number, so USPS cannot scan it."
    if shipment.ship_date != day:
        return (
            f"{name} has the ship date {shipment.ship_date:%b %-d}: a SCAN form only closes "
            f"labels dated {day:%b %-d}."
        )
    return f"{name} cannot be closed."


def _cutoff_link() -> dict:
    return {"link": reverse("endofday:settings"), "link_text": "Shipping cut-off settings"}


def _reports_link(account: CarrierAccount) -> dict:
    # R32: the merchant finishes in Stamps.com; the link is fetched (GetURL) when clicked, so
    # it never expires on the page.
    return {
        "link": reverse("carriers:open-carrier-page", args=[account.pk, REPORTS_PAGE]),
        "link_text": "Open Stamps.com Reports",
    }


def _usable(account: CarrierAccount) -> None:
    try:
        require_usable(account)  # R3
    except AccountNotUsable as exc:
        raise EndOfDayError(
            exc.message, link=reverse("carriers:list"), link_text="Your carrier accounts"
        ) from exc


def create_scan_form(
    account: CarrierAccount,
    location: ShipFromLocation,
    shipment_ids: Iterable[int] | None = None,
    *,
    user=None,
    automatic: bool = False,
    now: dt.datetime | None = None,
) -> ScanForm:
    """SWSIM CreateManifest (ManifestType ScanForm) for the chosen labels, or every eligible
    label of ``account`` at ``location`` when ``shipment_ids`` is None (R30-R32)."""
    if account.merchant_id != location.merchant_id:
        raise EndOfDayError("That carrier account belongs to another store.")
    _usable(account)
    refusal = scan_form_refusal(location, now)
    if refusal:
        raise EndOfDayError(refusal)
    day = local_today(location, now)
    eligible = eligible_labels(account, location, now)
    if shipment_ids is None:
        labels = list(eligible)
    else:
        wanted = {int(pk) for pk in shipment_ids}
        labels = list(eligible.filter(pk__in=wanted))
        refused = Shipment.objects.filter(
            merchant_id=account.merchant_id, pk__in=wanted - {s.pk for s in labels}
        ).select_related("order")
        reasons = [_why_not_eligible(s, account, location, day) for s in refused]
        if reasons:
            raise EndOfDayError(
                "These labels cannot be on this SCAN form: " + " ".join(reasons), **_cutoff_link()
            )
    if not labels:
        raise EndOfDayError(
            f"No labels to close: a SCAN form takes the labels of “{account.nickname}” that ship "
            f"from {location.name} dated today ({day:%b %-d}), not voided and on no other form.",
            **_cutoff_link(),
        )

    form = _reserve_scan_form(account, location, day, labels, user=user, automatic=automatic)
    try:
        manifests = call(
            account,
            lambda c: c.create_manifest(
                from_address=from_address(location),
                ship_date=day,
                stamps_tx_ids=[s.stamps_tx_id for s in labels if s.stamps_tx_id],
                tracking_numbers=[s.tracking_number for s in labels if not s.stamps_tx_id],
                integrator_tx_id=form.integrator_tx_id,
                manifest_type="ScanForm",
            ),
        )
    except errors.StampsError as exc:
        error = _scan_form_error(account, exc)
        _release_scan_form(form, error.message, exc)
        raise error from exc
    if not manifests:
        error = EndOfDayError(
            "Stamps.com answered without a SCAN form. Check Stamps.com Reports before trying "
            "again.",
            **_reports_link(account),
        )
        _release_scan_form(form, error.message)
        raise error
    form = _record_scan_form(form, manifests[0])
    try:
        scan_form_pdf(form)
    except EndOfDayError:
        log.warning("SCAN form %s: PDF not fetched yet; it is fetched when opened", form.pk)
    return form


def _reserve_scan_form(account, location, day, labels, *, user, automatic) -> ScanForm:
    try:
        with transaction.atomic():
            form = ScanForm.objects.create(
                merchant_id=account.merchant_id,
                account=account,
                location=location,
                ship_date=day,
                label_count=len(labels),
                created_by=user if getattr(user, "is_authenticated", False) else None,
                automatic=automatic,
            )
            ScanFormLabel.objects.bulk_create(
                [ScanFormLabel(scan_form=form, shipment=s) for s in labels]
            )
    except IntegrityError as exc:  # R31: another form took one of them meanwhile
        raise EndOfDayError(
            "One or more of these labels were just put on another SCAN form. Reload the page "
            "to see the labels still open."
        ) from exc
    return form


def _release_scan_form(form: ScanForm, reason: str, exc: Exception | None = None) -> None:
    with transaction.atomic():
        ScanFormLabel.objects.filter(scan_form=form).delete()
        detail = f"{reason}\n\nStamps.com: {getattr(exc, 'fault_text', '')}" if exc else reason
        ScanForm.objects.filter(pk=form.pk).update(status=ScanForm.Status.FAILED, failure=detail)


def _record_scan_form(form: ScanForm, manifest: Manifest) -> ScanForm:
    with transaction.atomic():
        ScanForm.objects.filter(pk=form.pk).update(
            status=ScanForm.Status.CREATED,
            manifest_id=manifest.manifest_id,
            carrier_url=manifest.url[:500],
            failure="",
        )
    form.refresh_from_db()
    return form


def _scan_form_error(account: CarrierAccount, exc: errors.StampsError) -> EndOfDayError:
    if isinstance(exc, errors.ScanFormAlreadyScanned):  # R31
        return EndOfDayError(exc.merchant_message, **_cutoff_link())
    if isinstance(exc, errors.ScanFormTooLate):  # R30, judged by the carrier's own clock
        return EndOfDayError(exc.merchant_message)
    if isinstance(exc, errors.ScanFormFailure):  # R32
        return EndOfDayError(exc.merchant_message, **_reports_link(account))
    if not exc.permanent:
        return EndOfDayError(
            f"{exc.explanation} The SCAN form may have been created in Stamps.com: check "
            "Stamps.com Reports, and close it there if it is missing.",
            **_reports_link(account),
        )
    return EndOfDayError(exc.merchant_message)


def scan_form_pdf(form: ScanForm) -> bytes:
    """The carrier's printable SCAN form, fetched once and kept in storage."""
    if form.pdf:
        try:
            with form.pdf.open("rb") as f:
                return f.read()
        except FileNotFoundError:
            pass
    if form.status != ScanForm.Status.CREATED or not form.carrier_url:
        raise EndOfDayError("This SCAN form has no printable form.")
    try:
        response = requests.get(form.carrier_url, timeout=settings.STAMPS_TIMEOUT)
        response.raise_for_status()
    except requests.RequestException as exc:
        raise EndOfDayError(
            "Stamps.com did not send the SCAN form's PDF. Try again in a minute."
        ) from exc
    data = response.content
    if not data.startswith(b"%PDF"):
        raise EndOfDayError("Stamps.com sent something other than a PDF. Try again in a minute.")
    form.pdf.save(f"scan-form-{form.manifest_id or form.pk}.pdf", ContentFile(data), save=False)
    ScanForm.objects.filter(pk=form.pk).update(pdf=form.pdf.name)
    return data


def run_automatic_scan_forms(now: dt.datetime | None = None) -> list[ScanForm]:
    """The scheduled job: at each location's cut-off (and before 9pm there, R30), one SCAN form
    per carrier account with open labels, once a day."""
    now = now or timezone.now()
    created: list[ScanForm] = []
    due = EndOfDaySettings.objects.filter(auto_scan_form=True).select_related("location")
    for eod in due:
        location = eod.location
        local = local_now(location, now)
        day = local.date()
        if not (eod.cutoff_time <= local.time() < SCAN_FORM_CUTOFF):
            continue
        claimed = (
            EndOfDaySettings.objects.filter(pk=eod.pk)
            .exclude(last_auto_scan_on=day)
            .update(last_auto_scan_on=day)
        )
        if not claimed:
            continue
        account_ids = (
            Shipment.objects.filter(
                ship_from=location, status=Shipment.Status.BOUGHT, ship_date=day
            )
            .exclude(tracking_number="")
            .exclude(_not_on_a_form())
            .values_list("account_id", flat=True)
            .distinct()
        )
        for account in CarrierAccount.objects.filter(pk__in=list(account_ids)):
            try:
                created.append(create_scan_form(account, location, automatic=True, now=now))
            except EndOfDayError as exc:
                log.warning("automatic SCAN form at %s refused: %s", location.pk, exc.message)
    return created


# --- pickups (R33) ------------------------------------------------------------------------


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
    _usable(account)
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
    )
    pickup.refresh_from_db()
    return pickup


def cancel_pickup(pickup: Pickup, now: dt.datetime | None = None) -> Pickup:
    """SWSIM CancelCarrierPickup, until the carrier's cut-off on the pickup day."""
    _ensure_changeable(pickup, now)
    try:
        call(pickup.account, lambda c: c.cancel_carrier_pickup(pickup.confirmation_number))
    except errors.StampsError as exc:
        raise _pickup_error(exc, "cancelled") from exc
    Pickup.objects.filter(pk=pickup.pk).update(
        status=Pickup.Status.CANCELLED, cancelled_at=timezone.now()
    )
    pickup.refresh_from_db()
    return pickup


def split_pickups(
    pickups: Iterable[Pickup], now: dt.datetime | None = None
) -> tuple[list[Pickup], list[Pickup]]:
    """(upcoming, past): upcoming are scheduled for today or later at their location."""
    upcoming, past = [], []
    for p in pickups:
        live = p.status == Pickup.Status.SCHEDULED and p.pickup_date is not None
        if live and p.pickup_date >= local_today(p.location, now):
            upcoming.append(p)
        else:
            past.append(p)
    upcoming.sort(key=lambda p: (p.pickup_date, p.pk))
    return upcoming, past
