"""SCAN forms, pickups and links to the carrier's own pages."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.urls import reverse

from . import geo
from .accounts import Call
from .labels import find_indicia
from .models import Manifest, Pickup
from .soap import SandboxFault

CUTOFF_HOUR = 21  # R30
ALREADY_SCANNED = "One or more of these packages have already been scanned by USPS"
BUFFER_QUOTA = (
    "Unable to create the SCAN form: buffer quota exceeded. Please try again later or create "
    "it in Stamps.com."
)
PAGE_SALT = "stamps-sandbox-page"
PAGE_KEY_FILE = "stamps-sandbox-page.key"


def page_key() -> str:
    """The key of the report-page links: random per installation, kept under VAR_DIR so the
    web processes share it. Not SECRET_KEY: in development that is a key anyone can read."""
    path = Path(settings.VAR_DIR) / PAGE_KEY_FILE
    try:
        with open(path, "x") as new:  # exclusive: the first process to get here writes it
            new.write(secrets.token_urlsafe(48))
    except FileExistsError:
        pass
    return path.read_text().strip()


PAGES = {
    "HomePage": "home",
    "AccountSettingsPage": "account-settings",
    "OnlineReportsPage": "reports",
    "StoreBuyPostage": "account-settings",
}


def create_manifest(call: Call) -> dict:
    account = call.account
    data = call.data
    manifest_type = data.get("ManifestType") or "ScanForm"
    if manifest_type not in ("ScanForm", "All"):
        raise SandboxFault(f"ManifestType {manifest_type} is not available.", "00800001")
    from_address = data["FromAddress"]
    local_now = call.now.astimezone(geo.time_zone(from_address))
    if local_now.hour >= CUTOFF_HOUR:
        raise SandboxFault(
            "SCAN forms must be created before 9 PM local time of the ship-from address "
            f"(it is {local_now:%H:%M} there).",
            "00800002",
        )
    ship_date = data.get("ShipDate") or local_now.date()
    if ship_date < local_now.date():  # R31
        raise SandboxFault(ALREADY_SCANNED, "00800003")
    if "BUFFER QUOTA" in (from_address.get("Company") or "").upper():  # R32 test trigger
        raise SandboxFault(BUFFER_QUOTA, "00800004", server=True)
    tracking = data.get("TrackingNumbers") or []
    tx_ids = data.get("StampsTxIds") or []
    if tracking or tx_ids:
        indicia = find_indicia(account, tracking, tx_ids)
    else:  # every open label for that date, as Stamps.com does without a list
        indicia = list(
            account.indicia.filter(ship_date=ship_date, voided_at=None, manifest=None).exclude(
                tracking_number=""
            )
        )
    if not indicia:
        raise SandboxFault("There are no labels to include in a SCAN form.", "00800005")
    for indicium in indicia:
        if indicium.voided_at is not None:
            raise SandboxFault(
                f"Label {indicium.tracking_number} was voided and cannot be on a SCAN form.",
                "00800006",
            )
        if indicium.manifest_id is not None or indicium.ship_date != ship_date:
            raise SandboxFault(ALREADY_SCANNED, "00800003")
    manifest = Manifest.objects.create(
        account=account,
        manifest_id=f"SCAN{secrets.randbelow(10**12):012d}",
        integrator_tx_id=data.get("IntegratorTxID") or "",
        ship_date=ship_date,
        from_address=from_address,
        created_at=call.now,
    )
    account.indicia.filter(pk__in=[i.pk for i in indicia]).update(manifest=manifest)
    url = call.request.build_absolute_uri(
        reverse("stamps_sandbox:manifest", args=[manifest.manifest_id])
    )
    return {
        "IntegratorTxID": data.get("IntegratorTxID"),
        "EndOfDayManifests": [
            {
                "PickupCarrier": "Usps",
                "ManifestType": "ScanForm",
                "ManifestId": manifest.manifest_id,
                "ManifestUrl": url,
            }
        ],
    }


def next_pickup_day(today: dt.date) -> dt.date:
    """R33: the next day USPS picks up (Monday to Saturday); later dates are not offered."""
    day = today + dt.timedelta(days=1)
    while day.weekday() == 6:
        day += dt.timedelta(days=1)
    return day


def _pickup_answer(pickup: Pickup) -> dict:
    return {
        "PickupDate": pickup.pickup_date.strftime("%m/%d/%Y"),
        "PickUpDayOfWeek": pickup.pickup_date.strftime("%A"),
        "ConfirmationNumber": pickup.confirmation_number,
    }


def schedule_carrier_pickup(call: Call) -> dict:
    account = call.account
    data = call.data
    address = data["Address"]
    local_today = call.now.astimezone(geo.time_zone({"ZIPCode": address["ZIP"]})).date()
    pickup = Pickup.objects.create(
        account=account,
        confirmation_number=f"WTC{secrets.randbelow(10**8):08d}",
        pickup_date=next_pickup_day(local_today),
        contact=data["ContactInformation"],
        address=address,
        packages=data["PackageInformation"],
        created_at=call.now,
    )
    return {
        **_pickup_answer(pickup),
        "PickupTimeEarliest": data.get("PickupTimeEarliest"),
        "PickupTimeLatest": data.get("PickupTimeLatest"),
        "EstimatedAmount": 0,
    }


def _pickup(call: Call) -> Pickup:
    pickup = call.account.pickups.filter(
        confirmation_number=call.data["ConfirmationNumber"]
    ).first()
    if pickup is None:
        raise SandboxFault(
            f"Pickup confirmation number {call.data['ConfirmationNumber']} was not found.",
            "00800010",
        )
    return pickup


def modify_carrier_pickup(call: Call) -> dict:
    pickup = _pickup(call)
    if pickup.status == "Cancelled":
        raise SandboxFault("This pickup was cancelled and cannot be modified.", "00800011")
    if call.data.get("ContactInformation"):
        pickup.contact = call.data["ContactInformation"]
    if call.data.get("PackageInformation"):
        pickup.packages = call.data["PackageInformation"]
    pickup.status = "Modified"
    pickup.save()
    return {**_pickup_answer(pickup), "PickupStatus": "Modified"}


def cancel_carrier_pickup(call: Call) -> dict:
    pickup = _pickup(call)
    pickup.status = "Cancelled"
    pickup.save(update_fields=["status"])
    return {"PickupStatus": "Cancelled"}


def get_url(call: Call) -> dict:
    account = call.account
    page = PAGES.get(call.data["URLType"])
    if page is None:
        raise SandboxFault(f"Requested value '{call.data['URLType']}' was not found", "00500001")
    token = signing.dumps({"a": account.pk}, salt=PAGE_SALT, key=page_key())
    path = reverse("stamps_sandbox:page", args=[page])
    return {"URL": call.request.build_absolute_uri(f"{path}?token={token}")}
