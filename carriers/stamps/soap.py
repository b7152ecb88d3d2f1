"""Conversions between the dataclasses of ``carriers.stamps.types`` and SWSIM elements: the
dicts zeep builds requests from, and successful answers read with lxml.

Pure functions, no I/O, used by ``carriers.stamps.client`` and ``carriers.stamps.mapping``;
the rest of ShipDesk gets dataclasses from the client, never SOAP.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

from lxml import etree

from carriers.stamps.types import (
    AddOn,
    Address,
    Customs,
    PickupContact,
    Rate,
    RateRequest,
    Surcharge,
)

# --------------------------------------------------------------------------------------------
# Reading answers.
#
# zeep builds every request from the WSDL (so what is sent is what the WSDL allows) and reads
# every fault. Successful answers are read here with lxml instead of zeep's object mapping,
# which costs about 4 ms for a GetRates answer (it walks every optional element of RateV46 and
# Address for each rate) against 0.3 ms here; DESIGN.md gives the client 5 ms in all. SWSIM
# answers are plain documents, so element names are enough; values are typed by name below.

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_SOAP_ENV = "{http://schemas.xmlsoap.org/soap/envelope/}"
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_DECIMALS = frozenset(
    [
        "Amount",
        "MaxAmount",
        "InsuredValue",
        "DeclaredValue",
        "RegisteredValue",
        "CODValue",
        "AvailablePostage",
        "ControlTotal",
        "MaxPostageBalance",
        "PurchaseAmount",
        "TriggerAmount",
        "EstimatedAmount",
        "OutstandingLabelBalance",
        "MaxOutstandingLabelBalance",
        "PerPrintLimit",
        "PostageAmountRequested",
        "PostageAmountApproved",
    ]
)
_INTS = frozenset(
    [
        "Zone",
        "EffectiveWeightInOunces",
        "RateCategory",
        "CustomerID",
        "MeterNumber",
        "UserID",
        "UserId",
        "AccountId",
        "CorpID",
        "PlanID",
        "PendingPlanId",
        "TransactionID",
        "ReturnCode",
    ]
)
_FLOATS = frozenset(["WeightLb", "WeightOz", "Length", "Width", "Height"])
_DATES = frozenset(["ShipDate", "DeliveryDate"])
_DATETIMES = frozenset(
    [
        "LastLoginTime",
        "Timestamp",
        "ExpectedDeliveryDate",
        "GuaranteedDeliveryDate",
        "PrintDate",
        "RequestDate",
        "EstimatedPostageRefundCompletionDate",
    ]
)
_BINARY = frozenset(["base64Binary", "IndiciumData"])


def _scalar(name: str, text: str | None) -> Any:
    if text is None:
        return None
    try:
        if name in _DECIMALS:
            return Decimal(text.strip())
        if name in _INTS:
            return int(text.strip())
        if name in _FLOATS:
            return float(text.strip())
        if name in _DATES:
            return dt.date.fromisoformat(text.strip()[:10])
        if name in _DATETIMES:
            return dt.datetime.fromisoformat(text.strip())
        if name in _BINARY:
            return base64.b64decode(text)
    except (ValueError, ArithmeticError):
        return text
    if text in ("true", "false"):
        return text == "true"
    return text


def _tree(el: etree._Element) -> Any:
    """An element as a dict of its children (repeated children as lists) or a typed value."""
    if el.get(_XSI_NIL) in ("true", "1"):
        return None
    out: dict[str, Any] = {}
    for child in el:
        if not isinstance(child.tag, str):
            continue
        name = child.tag.rpartition("}")[2]
        value = _tree(child)
        if name in out:
            previous = out[name]
            if isinstance(previous, _Repeated):
                previous.append(value)
            else:
                out[name] = _Repeated([previous, value])
        else:
            out[name] = value
    if out:
        return out
    return _scalar(el.tag.rpartition("}")[2], el.text)


class _Repeated(list[Any]):
    """Repeated sibling elements (told apart from a value that happens to be a list)."""


class HttpAnswer(Protocol):
    """What is read of an HTTP answer (``transport.Answer``, or a requests response)."""

    status_code: int
    content: bytes


def read_answer(response: HttpAnswer) -> dict[str, Any] | None:
    """The answer element of a successful SOAP response as a dict, or None when zeep should
    judge it (faults, HTTP errors, anything unexpected)."""
    if response.status_code != 200:
        return None
    try:
        root = etree.fromstring(response.content, _PARSER)
    except etree.XMLSyntaxError:
        return None
    body = root.find(f"{_SOAP_ENV}Body")
    if body is None:
        return None
    answer = next((c for c in body if isinstance(c.tag, str)), None)
    if answer is None or answer.tag == f"{_SOAP_ENV}Fault":
        return None
    result = _tree(answer)
    return result if isinstance(result, dict) else {}


# --------------------------------------------------------------------------------------------
# Conversions between the dataclasses and SWSIM elements.


def value_of(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, default)
    return default if value is None else value


def text_of(obj: Any, name: str) -> str:
    value = value_of(obj, name, "")
    return str(value) if value is not None else ""


def items_of(obj: Any, *path: str) -> list[Any]:
    """Elements of a SWSIM ArrayOfX wrapper, e.g. items_of(rate, "AddOns", "AddOnV20")."""
    for name in path:
        obj = value_of(obj, name)
        if obj is None:
            return []
    if isinstance(obj, list):
        return obj
    return [obj]


def compact(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "", (), [])}


def address_to_soap(a: Address) -> dict[str, Any]:
    """SWSIM ``Address``. State is for US addresses (APO/FPO/DPO included); everywhere else
    the province or region goes in Province (issue 15, point 8)."""
    domestic = (a.country or "US").upper() == "US"
    return compact(
        {
            "FullName": a.full_name,
            "Company": a.company,
            "Address1": a.address1,
            "Address2": a.address2,
            "Address3": a.address3,
            "City": a.city,
            "State": a.state if domestic else "",
            "ZIPCode": a.zip_code,
            "ZIPCodeAddOn": a.zip_addon,
            "Province": a.province or ("" if domestic else a.state),
            "PostalCode": a.postal_code,
            "Country": a.country,
            "PhoneNumber": a.phone,
            "EmailAddress": a.email,
            "CleanseHash": a.cleanse_hash,
            "OverrideHash": a.override_hash,
        }
    )


def address_from_soap(obj: Any) -> Address:
    """An answered ``Address``; abroad its Province is also the ``state`` ShipDesk shows."""
    country = text_of(obj, "Country") or "US"
    province = text_of(obj, "Province")
    return Address(
        full_name=text_of(obj, "FullName"),
        company=text_of(obj, "Company"),
        address1=text_of(obj, "Address1"),
        address2=text_of(obj, "Address2"),
        address3=text_of(obj, "Address3"),
        city=text_of(obj, "City"),
        state=text_of(obj, "State") or ("" if country.upper() == "US" else province),
        zip_code=text_of(obj, "ZIPCode"),
        zip_addon=text_of(obj, "ZIPCodeAddOn"),
        postal_code=text_of(obj, "PostalCode"),
        province=province,
        country=country,
        phone=text_of(obj, "PhoneNumber"),
        email=text_of(obj, "EmailAddress"),
        cleanse_hash=text_of(obj, "CleanseHash"),
        override_hash=text_of(obj, "OverrideHash"),
    )


def rate_to_soap(
    r: Rate | RateRequest,
    *,
    from_address: Address | None = None,
    to_address: Address | None = None,
    add_ons: Iterable[str] = (),
    print_layout: str = "",
) -> dict[str, Any]:
    to = to_address or r.to or Address()
    from_ = address_to_soap(from_address) if from_address is not None else {"ZIPCode": r.from_zip}
    data: dict[str, Any] = {
        "From": from_,
        "To": address_to_soap(to),
        "ServiceType": r.service_type,
        # "Return" (or a sized "Return..." layout) makes CreateIndicium a return label.
        "PrintLayout": print_layout,
        "PackageType": r.package_type,
        "WeightLb": r.weight_lb,
        "WeightOz": r.weight_oz,
        "Length": r.length or None,
        "Width": r.width or None,
        "Height": r.height or None,
        "ShipDate": r.ship_date,
        "InsuredValue": r.insured_value,
        "DeclaredValue": r.declared_value,
        "NonMachinable": r.non_machinable or None,
        "ContentType": r.content_type,
    }
    if isinstance(r, Rate):
        data.update(
            {
                "Amount": r.amount,
                "DeliverDays": r.delivery_days,
                "Zone": r.zone,
                "RateCategory": r.rate_category,
                "CubicPricing": r.cubic_pricing or None,
            }
        )
        chosen = list(add_ons)
    else:
        data["CubicPricing"] = r.cubic_pricing or None
        chosen = list(r.add_ons) + list(add_ons)
    if chosen:
        data["AddOns"] = {"AddOnV20": [{"AddOnType": t} for t in dict.fromkeys(chosen)]}
    return compact(data)


def add_on_from_soap(obj: Any) -> AddOn:
    return AddOn(
        type=text_of(obj, "AddOnType"),
        amount=value_of(obj, "Amount"),
        description=text_of(obj, "AddOnDescription"),
        requires_all_of=tuple(
            tuple(items_of(group, "AddOnTypeV20"))
            for group in items_of(obj, "RequiresAllOf", "RequiresOneOf")
        ),
        prohibited_with=tuple(items_of(obj, "ProhibitedWithAnyOf", "AddOnTypeV20")),
    )


def rate_from_soap(obj: Any, request: RateRequest | Rate | None = None) -> Rate:
    to = value_of(obj, "To")
    return Rate(
        service_type=text_of(obj, "ServiceType"),
        package_type=text_of(obj, "PackageType") or (request.package_type if request else ""),
        amount=value_of(obj, "Amount", Decimal("0")),
        service_description=text_of(obj, "ServiceDescription"),
        max_amount=value_of(obj, "MaxAmount"),
        delivery_days=text_of(obj, "DeliverDays"),
        delivery_date=value_of(obj, "DeliveryDate"),
        zone=value_of(obj, "Zone"),
        cubic_pricing=bool(value_of(obj, "CubicPricing", False)),
        effective_weight_oz=value_of(obj, "EffectiveWeightInOunces"),
        dim_weighting=text_of(obj, "DimWeighting"),
        add_ons=tuple(add_on_from_soap(a) for a in items_of(obj, "AddOns", "AddOnV20")),
        ship_date=value_of(obj, "ShipDate") or (request.ship_date if request else None),
        from_zip=text_of(value_of(obj, "From"), "ZIPCode") or (request.from_zip if request else ""),
        to=address_from_soap(to) if to is not None else (request.to if request else None),
        weight_lb=float(value_of(obj, "WeightLb", request.weight_lb if request else 0.0)),
        weight_oz=float(value_of(obj, "WeightOz", request.weight_oz if request else 0.0)),
        length=float(value_of(obj, "Length", request.length if request else 0.0)),
        width=float(value_of(obj, "Width", request.width if request else 0.0)),
        height=float(value_of(obj, "Height", request.height if request else 0.0)),
        content_type=text_of(obj, "ContentType"),
        rate_category=value_of(obj, "RateCategory"),
        insured_value=value_of(obj, "InsuredValue"),
        declared_value=value_of(obj, "DeclaredValue"),
        non_machinable=bool(value_of(obj, "NonMachinable", False)),
        surcharges=tuple(
            Surcharge(type=text_of(f, "SurchargeType"), amount=value_of(f, "Amount", Decimal("0")))
            for f in items_of(obj, "Surcharges", "SurchargeV5")
        ),
    )


def pickup_contact_to_soap(contact: PickupContact, *, with_email: bool) -> dict[str, Any]:
    """CarrierPickupContactInformation; only the V2 type that scheduling takes has Email."""
    fields = {
        "FirstName": contact.first_name,
        "LastName": contact.last_name,
        "PhoneNumber": contact.phone,
        "PhoneExt": contact.phone_ext,
    }
    if with_email:
        fields["Email"] = contact.email
    return compact(fields)


def customs_to_soap(c: Customs) -> dict[str, Any]:
    return compact(
        {
            "ContentType": c.content_type,
            "Comments": c.comments,
            "OtherDescribe": c.other_describe,
            "CustomsSigner": c.signer,
            "InvoiceNumber": c.invoice_number,
            "CustomsLines": {
                "CustomsLine": [
                    compact(
                        {
                            "Description": line.description,
                            "Quantity": line.quantity,
                            "Value": line.value,
                            "WeightLb": line.weight_lb,
                            "WeightOz": line.weight_oz,
                            "HSTariffNumber": line.hs_tariff_number,
                            "CountryOfOrigin": line.country_of_origin,
                            "sku": line.sku,
                        }
                    )
                    for line in c.lines
                ]
            },
        }
    )


def balance_of(obj: Any) -> tuple[Decimal | None, Decimal | None]:
    pb = value_of(obj, "PostageBalance")
    return value_of(pb, "AvailablePostage"), value_of(pb, "ControlTotal")
