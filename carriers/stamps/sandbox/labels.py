"""Rates, addresses, labels (indicia), voids and tracking."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from decimal import Decimal

from django.db import IntegrityError, transaction

from carriers.stamps import faults

from . import addresses, documents, geo, rates, state
from . import label_images as images
from .accounts import Call, auto_buy, refund_delay, settle_pending
from .models import Account, Indicium
from .soap import SandboxFault

VOID_WINDOW = dt.timedelta(days=28)
TRACKING_PREFIX = {"US-PM": "9205", "US-XM": "9270", "US-PMI": "9205", "US-EMI": "9270"}
NAME_RULE = (
    "{who} Name must contain at least two words. Each word must be at least two characters "
    "long, separated by a space."
)


def get_rates(call: Call) -> dict:
    account = call.account
    found = rates.get_rates(
        call.data["Rate"], pro=account.plan == Account.PRO, today=call.now.date()
    )
    return {"Rates": found}


def cleanse_address(call: Call) -> dict:
    call.account  # noqa: B018 - authenticates
    return addresses.cleanse(call.data["Address"])


def _check_digit(digits: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def tracking_number(service: str, serial: int) -> str:
    """IMpb-style: 4-digit channel prefix, 17 digits, a mod-10 check digit (22 in all)."""
    body = TRACKING_PREFIX.get(service, "9400") + "1" + "1" + f"{serial:015d}"
    return body + _check_digit(body)


def _two_words(name: str) -> bool:
    words = (name or "").split()
    return len(words) >= 2 and all(len(w) >= 2 for w in words)


def _full_name(address: dict) -> str:
    return address.get("FullName") or " ".join(
        p for p in (address.get("FirstName"), address.get("LastName")) if p
    )


def _check_label_rules(rate: dict, customs: dict | None) -> None:
    international = rates.is_international(rate)
    if international or rates.is_military(rate):  # R18
        if not _two_words(_full_name(rate.get("From") or {})):
            raise SandboxFault(NAME_RULE.format(who="Ship From"), "00700001")
        if not _two_words(_full_name(rate.get("To") or {})):
            raise SandboxFault(NAME_RULE.format(who="Ship To"), "00700002")
    service, package = rate.get("ServiceType"), rate.get("PackageType") or "Package"
    if international and service in rates.GAP_SERVICES | rates.GLOBALPOST and not customs:
        raise SandboxFault("Customs information is required for international mail.", "00700003")
    flat = service == "US-FCI" and package == "Large Envelope or Flat"
    if flat and (customs or {}).get("ContentType") != "Document":  # R21
        raise SandboxFault(
            "First-Class Mail International Large Envelope or Flat may contain documents "
            "only. Send merchandise as a package or through GlobalPost.",
            "00700004",
        )


# Return labels (R46). A Rate.PrintLayout starting with "Return" asks for one; the names are
# the Normal layouts' twins as public SWSIM clients list them (see README: unknowns).
RETURN_LAYOUTS = {"Return", "Return4X6", "Return4X675", "Return4x825", "Return6X4", "Return4X45"}
RETURN_SERVICES = {"US-GA", "US-PM", "US-XM"}
RETURN_DAYS = range(1, 366)
DEFAULT_RETURN_DAYS = 30


def _fault(fault: faults.Fault, text: str = "") -> SandboxFault:
    return SandboxFault(text or fault.text, fault.code)


def _is_domestic(address: dict) -> bool:
    state_code = (address.get("State") or "").upper()
    country = (address.get("Country") or "US").upper()
    return country == "US" and state_code not in geo.MILITARY_STATES


def _complete(address: dict) -> bool:
    return all((address.get(k) or "").strip() for k in ("Address1", "City", "State", "ZIPCode"))


def _check_return(data: dict, rate: dict) -> dict | None:
    """The return options of a CreateIndicium, checked; None for an ordinary label.

    Only the layout makes a label a return label: ReturnLabelExpirationDays on an ordinary
    label is ignored, as public clients send it on every label (README)."""
    layout = rate.get("PrintLayout") or ""
    if not layout.startswith("Return"):
        return None
    if layout not in RETURN_LAYOUTS:
        raise _fault(
            faults.RETURN_LAYOUT,
            f"PrintLayout {layout} {faults.RETURN_LAYOUT.text} the sandbox offers "
            f"({', '.join(sorted(RETURN_LAYOUTS))}); customs layouts are not modelled.",
        )
    src, dst = rate.get("From") or {}, rate.get("To") or {}
    if not (_is_domestic(src) and _is_domestic(dst)) or data.get("Customs"):
        raise _fault(faults.RETURN_DOMESTIC)
    service = rate.get("ServiceType") or ""
    if service not in RETURN_SERVICES:
        raise _fault(
            faults.RETURN_SERVICE,
            f"{rates.DESCRIPTIONS.get(service, service)} {faults.RETURN_SERVICE.text}.",
        )
    # The buyer's address is printed as the sender's and is where USPS brings the parcel back
    # if the store can't take it: a ZIP code alone (enough for rating) won't do.
    if not (_full_name(src).strip() and _complete(src)):
        raise _fault(faults.RETURN_FROM)
    days = data.get("ReturnLabelExpirationDays")
    if days is None:
        days = DEFAULT_RETURN_DAYS
    if days not in RETURN_DAYS:
        raise _fault(faults.RETURN_EXPIRY)
    return_to = data.get("ReturnTo")
    if return_to is not None and not _complete(return_to):
        raise _fault(faults.RETURN_TO_ADDRESS)
    return {"layout": layout, "days": days, "return_to": return_to}


def create_indicium(call: Call) -> dict:
    data = call.data
    account = call.locked_account()
    tx_id = data["IntegratorTxID"]
    earlier = account.indicia.filter(integrator_tx_id=tx_id).first()
    if earlier is not None:  # R28: a retry returns the label already bought
        return _indicium_answer(call, earlier)
    state.require_verified(account)
    requested = data["Rate"]
    if not requested.get("ServiceType"):
        raise SandboxFault("The required element 'ServiceType' is missing.", "00500000")
    customs = data.get("Customs")
    _check_label_rules(requested, customs)
    _check_image_request(data)
    returning = _check_return(data, requested)
    addresses.require_cleansed(requested.get("To"))  # R37: for a return, the store's address
    quoted = rates.get_rates(requested, pro=account.plan == Account.PRO, today=call.now.date())[0]
    offered = {a["AddOnType"]: a for a in quoted["AddOns"]}
    chosen = [a["AddOnType"] for a in requested.get("AddOns") or [] if a]
    for code in chosen:
        if code not in offered:
            raise SandboxFault(
                f"The add-on {code} is not available for {quoted['ServiceDescription']} "
                "to this destination.",
                "00700005",
            )
    add_ons_total = sum((offered[c]["Amount"] for c in chosen), Decimal("0.00"))
    quoted["AddOns"] = [offered[c] for c in chosen]
    if returning is not None:
        quoted["PrintLayout"] = returning["layout"]
    fees = rates.surcharges_total(quoted)  # R40: charged with the postage
    total = quoted["Amount"] + add_ons_total + fees
    settle_pending(account, call.now, count_call=False)
    if not data.get("SampleOnly") and account.balance < total:
        raise SandboxFault(
            f"Insufficient funds: the available postage balance is ${account.balance:.2f} and "
            f"this label costs ${total:.2f}.",
            "00600010",
        )
    service = quoted["ServiceType"]
    flat_mail = service == "US-FC"  # R26: no tracking, no barcode
    category = (
        "GlobalAdvantageProgram"  # R24
        if service in rates.GAP_SERVICES
        else "GlobalPost"
        if service in rates.GLOBALPOST
        else "Domestic"
    )
    if not data.get("SampleOnly"):
        account.balance -= total
        account.control_total += total
        account.save(update_fields=["balance", "control_total"])
    ship_date = requested.get("ShipDate") or call.now.date()
    indicium = Indicium(
        account=account,
        integrator_tx_id=tx_id,
        stamps_tx_id=uuid.uuid4(),
        service_type=service,
        package_type=quoted["PackageType"],
        label_category=category,
        postage=quoted["Amount"],
        add_ons_total=add_ons_total,
        surcharges_total=fees,
        rate=_jsonable(quoted),
        customs=_jsonable(customs) if customs else None,
        memo=(data.get("memo") or "")[:200],
        label_options={
            "references": [data.get(f"Reference{i}") or "" for i in (1, 2, 3)],
            "non_delivery": data.get("nonDeliveryOption") or "",
        },
        ship_date=ship_date,
        balance_after=account.balance,
        control_total_after=account.control_total,
        created_at=call.now,
        # Counted from the label's ship date (the sender's day), not the server's date.
        return_expires_on=(ship_date + dt.timedelta(days=returning["days"]) if returning else None),
        return_to=_jsonable(returning["return_to"]) if returning else None,
    )
    try:
        with transaction.atomic():
            indicium.save()
            if not flat_mail:
                indicium.tracking_number = tracking_number(service, indicium.pk)
                indicium.save(update_fields=["tracking_number"])
    except IntegrityError:  # the same IntegratorTxID raced in
        raise SandboxFault(
            "Duplicate IntegratorTxID; retry to get the label.", "00700006"
        ) from None
    auto_buy(account, call.now)
    return _indicium_answer(call, indicium)


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal | dt.date):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value


def _rate_from_json(rate: dict) -> dict:
    out = dict(rate)
    for key in ("Amount", "InsuredValue", "DeclaredValue"):
        if out.get(key) is not None:
            out[key] = Decimal(out[key])
    for key in ("ShipDate", "DeliveryDate"):
        if out.get(key):
            out[key] = dt.date.fromisoformat(out[key])
    out["AddOns"] = [{**a, "Amount": Decimal(a["Amount"])} for a in out.get("AddOns") or []]
    out["Surcharges"] = [
        {**f, "Amount": Decimal(f["Amount"])} for f in out.get("Surcharges") or []
    ] or None
    return out


MAIL_CLASS = {
    "US-FC": "FirstClass",
    "US-PM": "Priority",
    "US-XM": "Express",
    "US-MM": "MediaMail",
    "US-GA": "GroundAdvantage",
    "US-EMI": "ExpressMailInternational",
    "US-PMI": "PriorityMailInternational",
    "US-FCI": "FirstClassMailInternational",
    "SC-GPE": "GlobalPostEconomy",
    "SC-GPP": "GlobalPostPriority",
    "SC-GPESS": "GlobalPostEconomySmartSaver",
    "SC-GPPSS": "GlobalPostPrioritySmartSaver",
}


def _check_image_request(data: dict) -> None:
    kind = data.get("ImageType") or "Auto"
    if kind in images.NOT_DRAWN:
        raise SandboxFault(
            f"ImageType {kind} is not produced by the ShipDesk sandbox; ask for Pdf, Png, "
            "Gif, Jpg, Bmp (or their Monochrome kinds), Zpl, AZpl or BZpl.",
            "00500003",
        )


def _image_answer(call: Call, indicium: Indicium, data: dict) -> dict:
    """``URL`` (or ``ImageData``) and ``FormURL`` in the kind, paper and resolution asked.

    URLs are signed and expire (``STAMPS_SANDBOX_IMAGE_TTL`` seconds), as the carrier's do:
    whoever needs the image later keeps a copy or asks again (ReprintIndicium)."""
    spec = {
        "t": data.get("ImageType") or "Auto",
        "p": data.get("PaperSize") or "Default",
        "d": data.get("ImageDpi") or "ImageDpiDefault",
    }
    url = ""
    image_data = None
    if data.get("ReturnImageData"):
        label = images.label_data(indicium)
        image_data = images.render_each([images.label_page(label)], spec["t"], spec["p"], spec["d"])
    else:
        url = documents.image_url(call.request, indicium, "label", spec)
    form_url = None
    if indicium.customs:
        form_url = documents.image_url(call.request, indicium, "form", spec)
    return {"URL": url, "ImageData": image_data, "FormURL": form_url}


def _indicium_answer(call: Call, indicium: Indicium) -> dict:
    mac = hashlib.sha256(f"mac:{indicium.stamps_tx_id}".encode()).hexdigest()
    references = (indicium.label_options or {}).get("references") or []
    answer = {
        "IntegratorTxID": indicium.integrator_tx_id,
        "TrackingNumber": indicium.tracking_number or None,
        "Rate": _rate_from_json(indicium.rate),
        "StampsTxID": str(indicium.stamps_tx_id),
        "PostageBalance": {
            "AvailablePostage": indicium.balance_after,
            "ControlTotal": indicium.control_total_after,
        },
        "Mac": mac[:32],
        "PostageHash": mac[32:],
        "labelCategory": indicium.label_category,
        "LabelID": str(indicium.pk),
        **_image_answer(call, indicium, call.data),
    }
    for i, reference in enumerate(references[:3], 1):
        answer[f"Reference{i}"] = reference or None
    return answer


def reprint_indicium(call: Call) -> dict:
    """The label again, in any kind, without charging: by StampsTxId, TrackingNumber or
    IntegratorTxId. A voided label is not reprinted (its postage was refunded)."""
    data = call.data
    account = call.account
    found = None
    if data.get("StampsTxId"):
        found = find_indicia(account, [], [data["StampsTxId"]])[0]
    elif data.get("TrackingNumber"):
        found = find_indicia(account, [data["TrackingNumber"]], [])[0]
    elif data.get("IntegratorTxId"):
        found = account.indicia.filter(integrator_tx_id=data["IntegratorTxId"]).first()
        if found is None:
            raise SandboxFault(
                f"IntegratorTxId {data['IntegratorTxId']} was not found.", "00700012"
            )
    else:
        raise SandboxFault("No StampsTxId, TrackingNumber or IntegratorTxId was given.", "00500000")
    if found.voided_at is not None:
        raise SandboxFault(
            f"Label {found.tracking_number or found.stamps_tx_id} has been refunded and cannot "
            "be printed again.",
            "00700021",
        )
    _check_image_request(data)
    answer = _image_answer(call, found, data)
    src = (found.rate or {}).get("From") or {}
    return {
        "IntegratorTxId": found.integrator_tx_id,
        "TrackingNumber": found.tracking_number,
        "FromZipCode": src.get("ZIPCode") or "",
        "Amount": found.postage,
        "ServiceType": MAIL_CLASS.get(found.service_type, "Unknown"),
        "ShipDate": found.ship_date,
        "StampsTxId": str(found.stamps_tx_id),
        "Url": answer["URL"],
        "FormUrl": answer["FormURL"],
        "ImageData": answer["ImageData"],
        "IssuedLabelCount": 1,
    }


def find_indicia(account: Account, tracking: list, tx_ids: list) -> list[Indicium]:
    found = []
    for number in tracking:
        indicium = account.indicia.filter(tracking_number=number).first()
        if indicium is None:
            raise SandboxFault(f"Tracking number {number} was not found.", "00700010")
        found.append(indicium)
    for tx in tx_ids:
        try:
            indicium = account.indicia.filter(stamps_tx_id=uuid.UUID(str(tx))).first()
        except ValueError:
            indicium = None
        if indicium is None:
            raise SandboxFault(f"StampsTxID {tx} was not found.", "00700011")
        found.append(indicium)
    return found


def cancel_indicium(call: Call) -> dict:
    account = call.locked_account()
    tracking = [n for group in call.data.get("TrackingNumbers") or [] for n in group or []]
    tx_ids = [t for group in call.data.get("StampsTxIDs") or [] for t in group or []]
    if not tracking and not tx_ids:
        raise SandboxFault("No TrackingNumbers or StampsTxIDs were given.", "00500000")
    found = find_indicia(account, tracking, tx_ids)
    for indicium in found:  # R27: check all before refunding any
        if indicium.voided_at is None and call.now - indicium.created_at > VOID_WINDOW:
            raise SandboxFault(
                f"Label {indicium.tracking_number or indicium.stamps_tx_id} cannot be voided: "
                f"postage can be refunded only within 28 days of printing (printed "
                f"{indicium.created_at.date().isoformat()}).",
                "00700020",
            )
    due = call.now + refund_delay()
    for indicium in found:
        if indicium.voided_at is not None:
            continue  # voiding twice is harmless and refunds once
        # R41: a void is a refund request; the balance is credited when it is due.
        indicium.voided_at = call.now
        indicium.refund_due_at = due
        indicium.save(update_fields=["voided_at", "refund_due_at"])
    settle_pending(account, call.now, count_call=False)  # a delay of 0 refunds at once
    return {}


SHIPMENTS_PER_PAGE = 50


def shipment_status(indicium: Indicium) -> str:
    if indicium.refunded_at is not None:
        return "Refunded"
    return "Pending Refund" if indicium.voided_at is not None else "Printed"


def _refund_status(indicium: Indicium) -> dict:
    done = indicium.refunded_at is not None
    return {
        "PostageRefundId": f"SBXR{indicium.pk:09d}",
        "ClaimNumber": None,
        "RequestDate": indicium.voided_at,
        "PostageRefundStatus": "Complete" if done else "Pending",
        "EstimatedPostageRefundCompletionDate": indicium.refund_due_at,
        "PostageAmountRequested": indicium.total,
        "PostageAmountApproved": indicium.total if done else Decimal("0.00"),
    }


def get_shipment_list(call: Call) -> dict:
    """The account's labels printed between PrintDateMin and PrintDateMax (the sandbox
    clock's UTC dates), with their refund status; SearchCriteria ``Refund``: voided ones
    only. One page of ``ShipmentsPerPage`` (default 50), oldest first."""
    account = call.locked_account()
    settle_pending(account, call.now, count_call=False)
    filters = call.data["Filters"]
    found = account.indicia.all()
    if filters.get("PrintDateMin"):
        found = found.filter(created_at__date__gte=filters["PrintDateMin"])
    if filters.get("PrintDateMax"):
        found = found.filter(created_at__date__lte=filters["PrintDateMax"])
    if "Refund" in (filters.get("SearchCriteria") or []):
        found = found.filter(voided_at__isnull=False)
    per_page = call.data.get("ShipmentsPerPage") or SHIPMENTS_PER_PAGE
    total = found.count()
    include = set(call.data.get("IncludeFields") or []) | {"StampsTxId"}
    shipments = []
    for indicium in found.order_by("pk")[:per_page]:
        voided = indicium.voided_at is not None
        shipment = {
            "StampsTxId": str(indicium.stamps_tx_id),
            "ShipmentStatus": shipment_status(indicium),
            "PrintDate": indicium.created_at,
            "TrackingNumber": indicium.tracking_number or None,
            "RefundType": "E-refund" if voided else None,
            "RefundStatus": _refund_status(indicium) if voided else None,
        }
        if call.data.get("IncludeFields"):
            shipment = {k: (v if k in include else None) for k, v in shipment.items()}
        shipments.append(shipment)
    return {
        "ShipmentListToken": f"sbx-{account.pk}-{call.now.timestamp():.0f}",
        "TotalPages": max(1, -(-total // per_page)),
        "Shipments": shipments,
    }


def track_shipment(call: Call) -> dict:
    account = call.account
    number, tx = call.data.get("TrackingNumber"), call.data.get("StampsTxID")
    indicium = find_indicia(account, [number] if number else [], [tx] if tx else [])[0]
    rate = indicium.rate
    src, dst = rate.get("From") or {}, rate.get("To") or {}
    start = indicium.created_at
    days = int(rates.DELIVER_DAYS.get(indicium.service_type, "2-5").split("-")[-1])
    hour = dt.timedelta(hours=1)
    steps = [
        (
            dt.timedelta(0),
            "Shipping Label Created, USPS Awaiting Item",
            "ShippingLabelCreated",
            src,
        ),
        (8 * hour, "Accepted at USPS Origin Facility", "AcceptOrPickup", src),
        (
            dt.timedelta(hours=14),
            "Arrived at USPS Regional Facility",
            "ArrivedUSPSSortFacility",
            src,
        ),
        (dt.timedelta(days=1), "In Transit to Next Facility", "Enroute", {}),
        (dt.timedelta(days=days, hours=-6), "Out for Delivery", "OutForDelivery", dst),
        (dt.timedelta(days=days), "Delivered, In/At Mailbox", "Delivered", dst),
    ]
    if "UNDELIVERABLE" in (dst.get("Address1") or "").upper():
        # Test value: the carrier cannot deliver, then sends the parcel back.
        steps[-2:] = [
            (dt.timedelta(days=days), "Insufficient Address", "InsufficientAddress", dst),
            (dt.timedelta(days=days + 2), "Return to Sender Processed", "ReturnToSender", dst),
        ]
    events = []
    if indicium.voided_at is None:
        for offset, text, kind, where in steps:
            if start + offset > call.now:
                break
            events.append(
                {
                    "Timestamp": start + offset,
                    "Event": text,
                    "TrackingEventType": kind,
                    "City": (where.get("City") or "").upper(),
                    "State": where.get("State") or "",
                    "Zip": where.get("ZIPCode") or where.get("PostalCode") or "",
                    "Country": where.get("Country") or "US",
                    "SignedBy": "",
                    "AuthorizedAgent": False,
                }
            )
    events.reverse()  # newest first, as USPS lists them
    return {
        "TrackingEvents": events,
        "GuaranteedDeliveryDate": None,
        "ExpectedDeliveryDate": start + dt.timedelta(days=days),
        "ServiceDescription": rates.DESCRIPTIONS.get(indicium.service_type),
        "Carrier": "USPS",
        "DestinationInfo": {
            "DestinationCity": dst.get("City") or "",
            "DestinationState": dst.get("State") or "",
            "DestinationZip": dst.get("ZIPCode") or dst.get("PostalCode") or "",
            "DestinationCountry": dst.get("Country") or "US",
        },
    }
