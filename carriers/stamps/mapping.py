"""SWSIM answers as the dataclasses of ``carriers.stamps.types`` (and the few request parts
only one operation sends). Pure functions over what ``transport.exchange`` returns: the dicts
of ``soap.read_answer``, or zeep objects for answers zeep judged; ``soap.value_of`` reads both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from carriers.stamps import errors
from carriers.stamps.soap import (
    address_from_soap,
    address_to_soap,
    balance_of,
    compact,
    customs_to_soap,
    items_of,
    rate_from_soap,
    rate_to_soap,
    text_of,
    value_of,
)
from carriers.stamps.types import (
    AccountInfo,
    Address,
    Authentication,
    AutoBuy,
    Capabilities,
    CleansedAddress,
    CreditCard,
    Customs,
    Indicium,
    LabelImage,
    LabelRefund,
    Manifest,
    Pickup,
    PickupAddress,
    PickupPackages,
    Purchase,
    Rate,
    Registration,
    Reprint,
    ReturnLabel,
    Tracking,
    TrackingEvent,
)


def authentication_from_soap(r: Any) -> Authentication:
    return Authentication(
        last_login=value_of(r, "LastLoginTime"),
        password_expired=bool(value_of(r, "PasswordExpired", False)),
        banner=text_of(r, "LoginBannerText"),
    )


def credit_card_to_soap(card: CreditCard) -> dict[str, Any]:
    exp = card.expiration
    return compact(
        {
            "CreditCardType": card.card_type,
            "AccountNumber": card.number,
            "CVN": card.cvn,
            "ExpirationDate": dt.datetime(exp.year, exp.month, exp.day),
            "BillingAddress": address_to_soap(card.billing_address)
            if card.billing_address
            else None,
        }
    )


def registration_request(
    *,
    integration_id: str,
    username: str,
    password: str,
    email: str,
    physical_address: Address,
    credit_card: CreditCard | None,
    mailing_address: Address | None,
    account_type: str,
    promo_code: str,
    machine_ip: str,
) -> dict[str, Any]:
    args: dict[str, Any] = {
        "IntegrationID": integration_id,
        "UserName": username,
        "Password": password,
        "PhysicalAddress": address_to_soap(physical_address),
        "MachineInfo": {"IPAddress": machine_ip},
        "Email": email,
        "AccountType": account_type,
    }
    if mailing_address is not None:
        args["MailingAddress"] = address_to_soap(mailing_address)
    if promo_code:
        args["PromoCode"] = promo_code
    if credit_card is not None:
        args["CreditCard"] = credit_card_to_soap(credit_card)
    return args


def registration_from_soap(r: Any) -> Registration:
    return Registration(
        status=text_of(r, "RegistrationStatus"),
        user_id=value_of(r, "UserId"),
        suggested_username=text_of(r, "SuggestedUserName"),
        promo_url=text_of(r, "PromoUrl"),
    )


def registration_refusal(result: Registration) -> errors.StampsError | None:
    """The error for a registration the carrier did not complete (None when it did)."""
    if result.ok:
        return None
    hint = (
        f" Stamps.com suggests the username {result.suggested_username}."
        if result.suggested_username
        else ""
    )
    return errors.RegistrationFailed(
        f"RegistrationStatus {result.status}",
        operation="RegisterAccount",
        what_to_do=errors.RegistrationFailed.what_to_do + hint,
    )


def account_info_from_soap(r: Any, username: str) -> AccountInfo:
    info = value_of(r, "AccountInfo")
    balance, control_total = balance_of(info)
    auto = value_of(info, "AutoBuySettings")
    caps = value_of(info, "Capabilities")
    address = value_of(r, "Address")
    return AccountInfo(
        username=text_of(info, "Username") or username,
        balance=balance if balance is not None else Decimal("0.00"),
        control_total=control_total if control_total is not None else Decimal("0.00"),
        max_balance=value_of(info, "MaxPostageBalance", Decimal("10000.00")),
        auto_buy=AutoBuy(
            enabled=bool(value_of(auto, "AutoBuyEnabled", False)),
            purchase_amount=value_of(auto, "PurchaseAmount", Decimal("0.00")),
            trigger_amount=value_of(auto, "TriggerAmount", Decimal("0.00")),
        ),
        capabilities=Capabilities(
            can_print_cubic=bool(value_of(caps, "CanPrintCubic", False)),
            can_print_gp=bool(value_of(caps, "CanPrintGP", False)),
            can_print_international=bool(value_of(caps, "CanPrintInternational", False)),
            can_purchase_postage=bool(value_of(caps, "CanPurchasePostage", False)),
            can_create_scan_form=bool(value_of(caps, "CanCreateSCANForm", False)),
            can_view_online_reports=bool(value_of(caps, "CanViewOnlineReports", False)),
        ),
        customer_id=value_of(info, "CustomerID"),
        account_id=value_of(info, "AccountId"),
        plan_id=value_of(info, "PlanID"),
        rateset_type=text_of(info, "RatesetType"),
        account_status=text_of(r, "AccountStatus"),
        verification_phone=text_of(r, "VerificationPhoneNumber"),
        email=text_of(r, "CustomerEmail"),
        address=address_from_soap(address) if address is not None else None,
    )


def purchase_from_soap(r: Any, integrator_tx_id: str) -> Purchase:
    balance, total = balance_of(r)
    return Purchase(
        status=text_of(r, "PurchaseStatus"),
        integrator_tx_id=integrator_tx_id,
        transaction_id=value_of(r, "TransactionID"),
        balance=balance,
        control_total=total,
        rejection_reason=text_of(r, "RejectionReason"),
    )


def purchase_refusal(r: Any, integrator_tx_id: str) -> errors.StampsError | None:
    """The error a Rejected PurchasePostage answer stands for (None when not rejected); its
    ``purchase`` attribute holds the answer."""
    purchase = purchase_from_soap(r, integrator_tx_id)
    if purchase.status != "Rejected":
        return None
    reason = purchase.rejection_reason
    error = errors.error_from_fault(reason, operation="PurchasePostage")
    if isinstance(error, errors.CarrierFault):
        # A rejection the wording does not explain is the card's (R12).
        error = errors.CardDeclined(reason, operation="PurchasePostage")
    error.purchase = purchase  # type: ignore[attr-defined]
    return error


def cleansed_address_from_soap(r: Any) -> CleansedAddress:
    return CleansedAddress(
        address=address_from_soap(value_of(r, "Address")),
        address_match=bool(value_of(r, "AddressMatch", False)),
        city_state_zip_ok=bool(value_of(r, "CityStateZipOK", False)),
        residential=text_of(r, "ResidentialDeliveryIndicator"),
        is_po_box=bool(value_of(r, "IsPOBox", False)),
        candidates=tuple(
            address_from_soap(a) for a in items_of(r, "CandidateAddresses", "Address")
        ),
        result=text_of(r, "AddressCleansingResult"),
        verification_level=text_of(r, "VerificationLevel"),
    )


def indicium_request(
    integrator_tx_id: str,
    rate: Rate,
    *,
    from_address: Address,
    to_address: Address,
    add_ons: Iterable[str],
    customs: Customs | None,
    image: LabelImage,
    memo: str,
    sample_only: bool,
    return_image_data: bool,
    references: Iterable[str],
    non_delivery: str,
    return_label: ReturnLabel | None = None,
) -> dict[str, Any]:
    args: dict[str, Any] = {
        "IntegratorTxID": integrator_tx_id,
        "Rate": rate_to_soap(
            rate,
            from_address=from_address,
            to_address=to_address,
            add_ons=add_ons,
            print_layout=return_label.print_layout if return_label else "",
        ),
        "ImageType": image.image_type,
    }
    refs = list(references)[:3]
    optional = {
        "ReturnTo": address_to_soap(return_label.return_to)
        if return_label is not None and return_label.return_to is not None
        else None,
        "Customs": customs_to_soap(customs) if customs is not None else None,
        "SampleOnly": True if sample_only else None,
        "memo": memo,
        "nonDeliveryOption": non_delivery if customs is not None else None,
        "ReturnImageData": True if return_image_data else None,
        "PaperSize": image.paper_size,
        "ImageDpi": image.image_dpi if image.image_dpi != "ImageDpiDefault" else None,
        **{f"Reference{i}": (ref or "")[:100] for i, ref in enumerate(refs, 1)},
        "ReturnLabelExpirationDays": return_label.expiration_days if return_label else None,
    }
    args.update(compact(optional))
    return args


def indicium_from_soap(r: Any, rate: Rate, integrator_tx_id: str) -> Indicium:
    """CreateIndicium's answer; ``rate`` is what was asked, for fields the answer leaves out."""
    balance, total = balance_of(r)
    rate_back = value_of(r, "Rate")
    bought = rate_from_soap(rate_back, rate) if rate_back is not None else None
    cost = value_of(rate_back, "Amount") if rate_back is not None else rate.amount
    if bought is not None:
        # The answer's AddOns are the ones bought; its Surcharges are charged too (R40).
        cost = (
            bought.amount
            + sum((a.amount or Decimal("0")) for a in bought.add_ons)
            + bought.surcharges_total
        )
    return Indicium(
        integrator_tx_id=text_of(r, "IntegratorTxID") or integrator_tx_id,
        stamps_tx_id=text_of(r, "StampsTxID"),
        tracking_number=text_of(r, "TrackingNumber"),
        url=text_of(r, "URL"),
        amount=value_of(rate_back, "Amount") if rate_back is not None else rate.amount,
        balance=balance,
        control_total=total,
        image_data=tuple(items_of(r, "ImageData", "base64Binary")),
        label_category=text_of(r, "labelCategory"),
        rate=bought,
        total=cost,
        form_url=text_of(r, "FormURL"),
    )


def reprint_request(
    *, stamps_tx_id: str, image: LabelImage, return_image_data: bool
) -> dict[str, Any]:
    return compact(
        {
            "StampsTxId": stamps_tx_id,
            "ImageType": image.image_type,
            "ImageDpi": image.image_dpi if image.image_dpi != "ImageDpiDefault" else None,
            # Required by the WSDL; 0 / row 1, column 1 are the carrier's "as issued".
            "RotationDegrees": 0,
            "PaperSize": image.paper_size,
            "StartRow": 1,
            "StartColumn": 1,
            "ReturnImageData": True if return_image_data else None,
        }
    )


def reprint_from_soap(r: Any) -> Reprint:
    result = value_of(r, "ReprintIndiciumResult")
    return Reprint(
        url=text_of(result, "Url"),
        form_url=text_of(result, "FormUrl"),
        image_data=tuple(items_of(result, "ImageData", "base64Binary")),
    )


def refunds_from_soap(r: Any) -> list[LabelRefund]:
    """GetShipmentList's answer: the refund of every voided label in it."""
    out = []
    for shipment in items_of(r, "Shipments", "ShipmentV39"):
        refund = value_of(shipment, "RefundStatus")
        if refund is None:
            continue
        out.append(
            LabelRefund(
                stamps_tx_id=text_of(shipment, "StampsTxId"),
                tracking_number=text_of(shipment, "TrackingNumber"),
                shipment_status=text_of(shipment, "ShipmentStatus"),
                refund_type=text_of(shipment, "RefundType"),
                status=text_of(refund, "PostageRefundStatus"),
                requested=value_of(refund, "PostageAmountRequested", Decimal("0.00")),
                approved=value_of(refund, "PostageAmountApproved", Decimal("0.00")),
                requested_at=value_of(refund, "RequestDate"),
                expected_at=value_of(refund, "EstimatedPostageRefundCompletionDate"),
            )
        )
    return out


def manifest_request(
    *,
    from_address: Address,
    ship_date: dt.date,
    stamps_tx_ids: Iterable[str],
    tracking_numbers: Iterable[str],
    integrator_tx_id: str,
    image_type: str,
    manifest_type: str,
) -> dict[str, Any]:
    args: dict[str, Any] = {
        "FromAddress": address_to_soap(from_address),
        "ShipDate": ship_date,
        "ImageType": image_type,
        "PrintInstructions": False,
        "ManifestType": manifest_type,
    }
    ids = list(stamps_tx_ids)
    numbers = list(tracking_numbers)
    if ids:
        args["StampsTxIds"] = {"guid": ids}
    if numbers:
        args["TrackingNumbers"] = {"string": numbers}
    if integrator_tx_id:
        args["IntegratorTxID"] = integrator_tx_id
    return args


def manifests_from_soap(r: Any) -> list[Manifest]:
    return [
        Manifest(
            manifest_id=text_of(m, "ManifestId"),
            url=text_of(m, "ManifestUrl"),
            manifest_type=text_of(m, "ManifestType"),
        )
        for m in items_of(r, "EndOfDayManifests", "EndOfDayManifest")
    ]


def pickup_packages_to_soap(p: PickupPackages) -> dict[str, Any]:
    return compact(
        {
            "NumberOfExpressMailPieces": p.express,
            "NumberOfPriorityMailPieces": p.priority,
            "NumberOfInternationalPieces": p.international,
            "NumberOfFirstClassPieces": p.first_class,
            "NumberOfParcelSelectPieces": p.parcel_select,
            "NumberOfOtherPieces": p.other,
            "TotalWeightOfPackagesLbs": p.total_weight_lb,
            "PackageLocation": p.location,
            "SpecialInstruction": p.instructions,
        }
    )


def pickup_address_to_soap(address: PickupAddress) -> dict[str, Any]:
    return compact(
        {
            "Company": address.company,
            "Address": address.address,
            "City": address.city,
            "State": address.state,
            "ZIP": address.zip_code,
            "ZIP4": address.zip4,
            "Address2": address.address2,
        }
    )


def pickup_from_soap(r: Any, status: str = "") -> Pickup:
    """A pickup answer; ``status`` when the answer does not say (it is implied by the call)."""
    return Pickup(
        confirmation_number=text_of(r, "ConfirmationNumber"),
        pickup_date=text_of(r, "PickupDate"),
        day_of_week=text_of(r, "PickUpDayOfWeek"),
        earliest=text_of(r, "PickupTimeEarliest"),
        latest=text_of(r, "PickupTimeLatest"),
        estimated_amount=value_of(r, "EstimatedAmount"),
        status=text_of(r, "PickupStatus") or status,
    )


def tracking_from_soap(r: Any) -> Tracking:
    dest = value_of(r, "DestinationInfo")
    return Tracking(
        events=tuple(
            TrackingEvent(
                timestamp=value_of(e, "Timestamp"),
                event=text_of(e, "Event"),
                event_type=text_of(e, "TrackingEventType"),
                city=text_of(e, "City"),
                state=text_of(e, "State"),
                zip_code=text_of(e, "Zip"),
                country=text_of(e, "Country"),
                signed_by=text_of(e, "SignedBy"),
            )
            for e in items_of(r, "TrackingEvents", "TrackingEvent")
        ),
        expected_delivery=value_of(r, "ExpectedDeliveryDate"),
        guaranteed_delivery=value_of(r, "GuaranteedDeliveryDate"),
        service_description=text_of(r, "ServiceDescription"),
        carrier=text_of(r, "Carrier"),
        destination={
            k: text_of(dest, f"Destination{k}") for k in ("City", "State", "Zip", "Country")
        }
        if dest is not None
        else {},
    )
