"""SCAN forms (R30-R32), closing a day's labels of one account and location.

Every carrier call follows the same shape, because the sandbox runs in this process and SQLite
locks the whole database while a transaction is open: reserve in one short transaction, call
Stamps.com with no transaction held, record the answer in a second short transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from carriers.models import CarrierAccount
from carriers.services import carrier_page_fix
from carriers.stamps import errors
from carriers.stamps.accounts import call
from carriers.stamps.types import Manifest
from endofday.models import ScanForm, ScanFormLabel
from endofday.shipping_day import EndOfDayError, ensure_usable
from locations.models import EndOfDaySettings, ShipFromLocation
from locations.shipping_day import SCAN_FORM_DEADLINE, local_now, local_today
from merchants.errors import Fix
from shipments.models import Shipment
from shipments.rating import from_address

log = logging.getLogger(__name__)

SCAN_FORM_CUTOFF = SCAN_FORM_DEADLINE  # R30, local time of the ship-from ZIP
REPORTS_PAGE = "OnlineReportsPage"


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


CUTOFF_FIX = Fix("endofday:settings", (), "Shipping cut-off settings")


def _reports_fix(account: CarrierAccount) -> Fix:
    # R32: the merchant finishes in Stamps.com.
    return carrier_page_fix(account, REPORTS_PAGE, "Open Stamps.com Reports")


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
    ensure_usable(account)
    refusal = scan_form_refusal(location, now)
    if refusal:
        raise EndOfDayError(refusal)
    day = local_today(location, now)
    eligible = eligible_labels(account, location, now)
    if shipment_ids is None:
        labels = list(eligible)
    else:
        wanted = set(shipment_ids)
        labels = list(eligible.filter(pk__in=wanted))
        refused = Shipment.objects.filter(
            merchant_id=account.merchant_id, pk__in=wanted - {s.pk for s in labels}
        ).select_related("order")
        reasons = [_why_not_eligible(s, account, location, day) for s in refused]
        if reasons:
            raise EndOfDayError(
                "These labels cannot be on this SCAN form: " + " ".join(reasons), fix=CUTOFF_FIX
            )
    if not labels:
        raise EndOfDayError(
            f"No labels to close: a SCAN form takes the labels of “{account.nickname}” that ship "
            f"from {location.name} dated today ({day:%b %-d}), not voided and on no other form.",
            fix=CUTOFF_FIX,
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
            fix=_reports_fix(account),
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
        return EndOfDayError(exc.merchant_message, fix=CUTOFF_FIX)
    if isinstance(exc, errors.ScanFormTooLate):  # R30, judged by the carrier's own clock
        return EndOfDayError(exc.merchant_message)
    if isinstance(exc, errors.ScanFormFailure):  # R32
        return EndOfDayError(exc.merchant_message, fix=_reports_fix(account))
    if not exc.permanent:
        return EndOfDayError(
            f"{exc.explanation} The SCAN form may have been created in Stamps.com: check "
            "Stamps.com Reports, and close it there if it is missing.",
            fix=_reports_fix(account),
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
