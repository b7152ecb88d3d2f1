"""Finish SCAN forms and pickups whose carrier answer never came back.

Creating a SCAN form or a pickup reserves a row in a short transaction (``creating`` /
``requesting``), calls Stamps.com with no transaction held, then records the answer. A worker
or web process that dies in between (or a lost answer) leaves the row in its first state: a
SCAN form then holds its labels forever (the one-form-per-label constraint keeps them off any
other form), and a pickup stays "requesting". ``sweep_stuck`` (django-q2, every 5 minutes,
scheduled by migration 0003) settles rows left alone longer than ``STUCK_AFTER``.

SCAN forms left ``creating``
    SWSIM has no GetManifest, so the carrier is asked the only way it can be: by sending the
    same CreateManifest again (same labels, ship date, from address and IntegratorTxID). That
    is safe because a label can be on one carrier manifest only, so a second SCAN form for the
    same labels can never be made:

    * the carrier creates it: the first call never reached it (or was rolled back), and this
      is the SCAN form; recorded ``created`` with its id and URL.
    * "already scanned by USPS" while the ship date is still today at the location: the labels
      are already on a carrier manifest, i.e. the first call created it and only its answer was
      lost. Recorded ``created`` (it exists) without an id, and the merchant is told to print
      it from Stamps.com Reports (the only place its id and PDF can be read).
    * "too late" (R30, 9pm by the carrier's clock) or any time after the ship date: the
      carrier answers "too late" / "already scanned" whether or not the form exists, so it
      cannot be asked. The row becomes ``unknown`` and keeps its labels as the record of what
      was sent: they could not go on another SCAN form anyway (R30/R31 only close today's
      labels before 9pm), and the merchant is told to check Stamps.com Reports.
    * any other refusal (R32 buffer quota, a voided label, no labels): the carrier made no
      form now; as in ``create_scan_form`` the row becomes ``failed`` and its labels are
      released for another SCAN form. Releasing is harmless even in the unlikely case a form
      exists: the carrier refuses any later form for those labels with "already scanned".
    * a temporary failure (timeout, 5xx): nothing is decided; the next pass asks again, until
      the day is over (then ``unknown`` as above).

    Limitation: "today" is judged in the location's time zone; the carrier judges it by the
    ship-from ZIP. Where the two disagree near midnight an "already scanned" for a past date
    could be read as "exists"; the merchant message says to check Reports in every case.

Pickups left ``requesting``
    ScheduleCarrierPickup is not idempotent (each call books another pickup) and SWSIM has no
    call that lists pickups, so the carrier is not asked again. The row becomes ``unknown``
    with a message telling the merchant to check Stamps.com (or call USPS) before scheduling
    another. If the lost request still records its answer later, that answer wins.

Rows are only ever moved out of their in-flight state with conditional updates, so a request
that answers late, or two sweeps at once, never overwrite a settled row with an older guess.
No transaction is held while Stamps.com is called.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from carriers.stamps import errors
from carriers.stamps.accounts import call
from endofday.models import Pickup, ScanForm, ScanFormLabel
from shipments.models import Shipment
from shipments.rating import from_address

log = logging.getLogger(__name__)

# Well past the longest a live request can still be waiting on the carrier (STAMPS_TIMEOUT,
# 20 s by default; CreateManifest and ScheduleCarrierPickup are never retried), so the sweep
# never races a request that is still running.
STUCK_AFTER = dt.timedelta(minutes=5)

REPORTS = "Stamps.com Reports"
USPS_PHONE = "1-800-275-8777"

EXISTS_MESSAGE = (
    "ShipDesk lost Stamps.com's answer while creating this SCAN form, but Stamps.com says "
    "its labels are already on a SCAN form, so it was created. Print it from {reports}."
)
UNKNOWN_FORM_MESSAGE = (
    "ShipDesk lost Stamps.com's answer while creating this SCAN form and can no longer ask "
    "(SCAN forms are only taken for today's labels before 9pm). It may or may not exist: check "
    "{reports}. If it is not there, hand the packages in at the Post Office, where each is "
    "scanned on its own."
)
FAILED_FORM_MESSAGE = (
    "ShipDesk lost Stamps.com's answer while creating this SCAN form; asked again, Stamps.com "
    "did not create it. The labels were released: create the SCAN form again, or close it "
    "directly in {reports}."
)
UNKNOWN_PICKUP_MESSAGE = (
    "ShipDesk lost Stamps.com's answer while scheduling this pickup, so it may or may not be "
    "booked. Check your pickups in Stamps.com or call USPS at " + USPS_PHONE + " before "
    "scheduling another: asking again could book a second pickup."
)


def sweep_stuck(older_than: dt.timedelta = STUCK_AFTER) -> int:
    """The scheduled job: settle SCAN forms and pickups stuck in flight. Returns how many."""
    now = timezone.now()
    cutoff = now - older_than
    done = 0
    forms = ScanForm.objects.filter(status=ScanForm.Status.CREATING, created_at__lt=cutoff)
    for form in forms.select_related("account", "location").order_by("pk"):
        try:
            if recover_scan_form(form, now=now) != ScanForm.Status.CREATING:
                done += 1
        except Exception:  # one bad row must not stop the others
            log.exception("SCAN form %s: recovery failed", form.pk)
    done += resolve_stuck_pickups(cutoff)
    return done


# --- SCAN forms ---------------------------------------------------------------------------


def _ship_day_open(form: ScanForm, now: dt.datetime) -> bool:
    """Whether the carrier's "already scanned" still means "on a manifest" (see above)."""
    return now.astimezone(form.location.zone).date() == form.ship_date


def recover_scan_form(form: ScanForm, *, now: dt.datetime | None = None) -> str:
    """Ask the carrier about one stuck form and settle it; returns its new status."""
    now = now or timezone.now()
    if not _ship_day_open(form, now):
        _settle(form, ScanForm.Status.UNKNOWN, failure=UNKNOWN_FORM_MESSAGE.format(reports=REPORTS))
        return ScanForm.Status.UNKNOWN
    labels = list(
        Shipment.objects.filter(
            pk__in=ScanFormLabel.objects.filter(scan_form=form).values("shipment")
        ).order_by("created_at", "pk")
    )
    if not labels:  # nothing was held: nothing can have been sent
        _settle(form, ScanForm.Status.FAILED, failure=FAILED_FORM_MESSAGE.format(reports=REPORTS))
        return ScanForm.Status.FAILED
    try:
        manifests = call(
            form.account,
            lambda c: c.create_manifest(
                from_address=from_address(form.location),
                ship_date=form.ship_date,
                stamps_tx_ids=[s.stamps_tx_id for s in labels if s.stamps_tx_id],
                tracking_numbers=[s.tracking_number for s in labels if not s.stamps_tx_id],
                integrator_tx_id=form.integrator_tx_id,
                manifest_type="ScanForm",
            ),
        )
    except errors.ScanFormAlreadyScanned:
        _settle(form, ScanForm.Status.CREATED, failure=EXISTS_MESSAGE.format(reports=REPORTS))
        return ScanForm.Status.CREATED
    except errors.ScanFormTooLate:
        _settle(form, ScanForm.Status.UNKNOWN, failure=UNKNOWN_FORM_MESSAGE.format(reports=REPORTS))
        return ScanForm.Status.UNKNOWN
    except errors.StampsError as exc:
        if not exc.permanent:
            log.warning("SCAN form %s: carrier not answering (%s); next pass", form.pk, exc)
            return ScanForm.Status.CREATING
        detail = f"{FAILED_FORM_MESSAGE.format(reports=REPORTS)}\n\nStamps.com: {exc.fault_text}"
        _settle(form, ScanForm.Status.FAILED, failure=detail)
        return ScanForm.Status.FAILED
    if not manifests:
        log.warning("SCAN form %s: carrier answered without a form; next pass", form.pk)
        return ScanForm.Status.CREATING
    manifest = manifests[0]
    with transaction.atomic():
        # Still in flight, or settled by a parallel "already scanned" without the id.
        (
            ScanForm.objects.filter(pk=form.pk, status=ScanForm.Status.CREATING)
            | ScanForm.objects.filter(pk=form.pk, status=ScanForm.Status.CREATED, manifest_id="")
        ).update(
            status=ScanForm.Status.CREATED,
            manifest_id=manifest.manifest_id,
            carrier_url=manifest.url[:500],
            failure="",
        )
    log.info("SCAN form %s recovered: created as %s", form.pk, manifest.manifest_id)
    return ScanForm.Status.CREATED


def _settle(form: ScanForm, status: str, *, failure: str) -> None:
    """Move a form out of ``creating`` (only if it still is); failed forms free their labels."""
    with transaction.atomic():
        moved = ScanForm.objects.filter(pk=form.pk, status=ScanForm.Status.CREATING).update(
            status=status, failure=failure
        )
        if moved and status == ScanForm.Status.FAILED:
            ScanFormLabel.objects.filter(scan_form_id=form.pk).delete()
    if moved:
        log.warning("SCAN form %s was stuck creating: now %s", form.pk, status)


# --- pickups ------------------------------------------------------------------------------


def resolve_stuck_pickups(cutoff: dt.datetime) -> int:
    """Pickups left ``requesting`` before ``cutoff`` become ``unknown`` (never re-sent)."""
    with transaction.atomic():
        count = Pickup.objects.filter(
            status=Pickup.Status.REQUESTING, created_at__lt=cutoff
        ).update(status=Pickup.Status.UNKNOWN, failure=UNKNOWN_PICKUP_MESSAGE)
    if count:
        log.warning("%s pickups were stuck requesting: now unknown", count)
    return count
