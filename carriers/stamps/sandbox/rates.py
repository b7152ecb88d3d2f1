"""GetRates: prices by service, weight, zone, package type and dimensions.

The numbers are plausible, not USPS's tables; the structure is what matters: Pro (the free
account opened through ShipDesk) gets commercial prices, cubic pricing and GlobalPost (R5);
Personal accounts get retail prices and neither.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from . import geo
from .addresses import require_province
from .soap import SandboxFault

CENT = Decimal("0.01")
QUARTER = Decimal("0.25")

DESCRIPTIONS = {
    "US-GA": "USPS Ground Advantage",
    "US-PM": "USPS Priority Mail",
    "US-XM": "USPS Priority Mail Express",
    "US-FC": "USPS First-Class Mail",
    "US-MM": "USPS Media Mail",
    "US-FCI": "USPS First-Class Mail International",
    "US-PMI": "USPS Priority Mail International",
    "US-EMI": "USPS Priority Mail Express International",
    "SC-GPE": "GlobalPost Economy International",
    "SC-GPP": "GlobalPost Standard International",
    "SC-GPESS": "GlobalPost Economy International SmartSaver",
    "SC-GPPSS": "GlobalPost Standard International SmartSaver",
}
DOMESTIC = ["US-GA", "US-PM", "US-XM", "US-FC", "US-MM"]
INTERNATIONAL = ["US-FCI", "US-PMI", "US-EMI", "SC-GPE", "SC-GPP", "SC-GPESS", "SC-GPPSS"]
GAP_SERVICES = {"US-FCI", "US-PMI", "US-EMI"}  # R24
GLOBALPOST = {"SC-GPE", "SC-GPP", "SC-GPESS", "SC-GPPSS"}
DELIVER_DAYS = {
    "US-GA": "2-5",
    "US-PM": "1-3",
    "US-XM": "1-2",
    "US-FC": "1-5",
    "US-MM": "2-8",
    "US-FCI": "7-21",
    "US-PMI": "6-10",
    "US-EMI": "3-5",
    "SC-GPE": "10-20",
    "SC-GPP": "6-12",
    "SC-GPESS": "10-20",
    "SC-GPPSS": "6-12",
}
FLATS = {"Letter", "Large Envelope or Flat"}
PACKAGE_TYPES = {  # which package types each service accepts
    "US-GA": {"Package", "Thick Envelope"},
    "US-PM": {
        "Package",
        "Thick Envelope",
        "Flat Rate Envelope",
        "Legal Flat Rate Envelope",
        "Flat Rate Padded Envelope",
        "Small Flat Rate Box",
        "Flat Rate Box",
        "Large Flat Rate Box",
    },
    "US-XM": {
        "Package",
        "Thick Envelope",
        "Flat Rate Envelope",
        "Legal Flat Rate Envelope",
        "Flat Rate Padded Envelope",
    },
    "US-FC": FLATS,
    "US-MM": {"Package", "Thick Envelope"},
    "US-FCI": {"Letter", "Large Envelope or Flat", "Package", "Thick Envelope"},
    "US-PMI": {
        "Package",
        "Thick Envelope",
        "Flat Rate Envelope",
        "Small Flat Rate Box",
        "Flat Rate Box",
        "Large Flat Rate Box",
    },
    "US-EMI": {"Package", "Thick Envelope", "Flat Rate Envelope"},
    **dict.fromkeys(GLOBALPOST, {"Package", "Thick Envelope", "Large Envelope or Flat"}),
}
MAX_OZ = {"US-FCI": 64, "SC-GPE": 70, "SC-GPESS": 70, "US-PMI": 66 * 16, "US-EMI": 66 * 16}
FLAT_RATE = {  # Pro prices; retail adds the personal markup
    ("US-PM", "Flat Rate Envelope"): "9.05",
    ("US-PM", "Legal Flat Rate Envelope"): "9.35",
    ("US-PM", "Flat Rate Padded Envelope"): "9.80",
    ("US-PM", "Small Flat Rate Box"): "9.85",
    ("US-PM", "Flat Rate Box"): "16.10",
    ("US-PM", "Large Flat Rate Box"): "22.45",
    ("US-XM", "Flat Rate Envelope"): "28.75",
    ("US-XM", "Legal Flat Rate Envelope"): "28.95",
    ("US-XM", "Flat Rate Padded Envelope"): "29.45",
}
ADD_ON_NAMES = {
    "US-A-DC": "USPS Tracking",
    "US-A-SC": "Signature Confirmation",
    "US-A-ASR": "Adult Signature Required",
    "US-A-INS": "Insurance",
    "US-A-HM": "Hazardous Materials",
    "US-A-HFPU": "Hold For Pickup",
    "US-A-DDP": "Delivered Duties Paid (prepaid duties to Canada)",
    "US-A-SR": "Signature Restricted Delivery",
}


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def weight_oz(rate: dict) -> float:
    return float(rate.get("WeightLb") or 0) * 16 + float(rate.get("WeightOz") or 0)


def is_international(rate: dict) -> bool:
    country = ((rate.get("To") or {}).get("Country") or "US").upper()
    return country not in ("US", "")


def is_military(rate: dict) -> bool:
    return ((rate.get("To") or {}).get("State") or "").upper() in geo.MILITARY_STATES


def cubic_tier(length, width, height) -> Decimal | None:
    """R35: round each side down to 1/4 inch, cube, and take the next tenth up to 0.5 cu ft."""
    sides = [
        (Decimal(str(side)) / QUARTER).to_integral_value(rounding=ROUND_DOWN) * QUARTER
        for side in (length, width, height)
    ]
    cubic_feet = sides[0] * sides[1] * sides[2] / Decimal(1728)
    if cubic_feet <= 0 or cubic_feet > Decimal("0.5"):
        return None
    return Decimal(math.ceil(cubic_feet * 10)) / 10


def _base_price(service: str, package: str, oz: float, zone: int, group: int, rate: dict):
    lb = max(1, math.ceil(oz / 16))
    if service == "US-FC":
        if package == "Letter":
            if oz > 3.5:
                return None
            price = 0.73 + 0.24 * (math.ceil(oz) - 1) + (0.46 if rate.get("NonMachinable") else 0)
        else:
            if oz > 13:
                return None
            price = 1.50 + 0.24 * (math.ceil(oz) - 1)
        return price
    if (service, package) in FLAT_RATE:
        return float(FLAT_RATE[(service, package)])
    if service == "US-GA":
        if oz < 16:
            return 4.60 + 0.30 * (math.ceil(oz / 4) - 1) + 0.20 * (zone - 1)
        return 6.80 + (lb - 1) * (0.45 + 0.22 * zone) + 0.35 * (zone - 1)
    if service == "US-PM":
        return 7.95 + 0.45 * (zone - 1) + (lb - 1) * (0.70 + 0.30 * zone)
    if service == "US-XM":
        return 26.35 + 1.10 * (zone - 1) + (lb - 1) * (2.40 + 0.55 * zone)
    if service == "US-MM":
        return 3.92 + 0.72 * (lb - 1)
    if service == "US-FCI":
        if package == "Letter":
            return None if oz > 3.5 else 1.65 + 0.30 * (math.ceil(oz) - 1)
        if package == "Large Envelope or Flat":
            return None if oz > 15.99 else 3.15 + 0.35 * (math.ceil(oz) - 1)
        return 15.75 + 3.5 * (group - 1) + (math.ceil(oz / 8) - 1) * (1.60 + 0.3 * group)
    if service == "US-PMI":
        flat = {"Flat Rate Envelope": 32.40, "Small Flat Rate Box": 33.65}.get(package)
        return flat or 45.00 + 8 * (group - 1) + (lb - 1) * (3.5 + 1.2 * group)
    if service == "US-EMI":
        return 55.00 + 10 * (group - 1) + (lb - 1) * (4.5 + 1.5 * group)
    if service in GLOBALPOST:
        economy = service.startswith("SC-GPE")
        price = (11.50 if economy else 18.25) + 2.0 * (group - 1) + (lb - 1) * (2.0 + 0.8 * group)
        return price * (0.9 if service.endswith("SS") else 1.0)
    return None


def _cubic_price(tier: Decimal, zone: int) -> float:
    index = int(tier * 10)
    return 7.20 + (index - 1) * 0.85 + (zone - 1) * (0.30 + 0.12 * index)


def add_ons(service: str, package: str, rate: dict, oz: float) -> list[dict]:
    """The add-ons the service offers here, with prices (R15, R16, R22, R26)."""
    international = is_international(rate)
    country = ((rate.get("To") or {}).get("Country") or "").upper()
    insured = Decimal(str(rate.get("InsuredValue") or 0))
    insurance = money(max(Decimal("2.75"), (insured / 100).to_integral_value() * Decimal("1.45")))
    offered: list[tuple[str, Decimal]] = []
    if not international:
        if service in ("US-GA", "US-PM", "US-XM", "US-MM"):
            offered.append(("US-A-DC", Decimal("0.00")))
        if service in ("US-GA", "US-PM", "US-XM"):
            offered += [
                ("US-A-SC", Decimal("3.65")),
                ("US-A-ASR", Decimal("8.80")),
                ("US-A-HM", Decimal("0.00")),
            ]
        if service != "US-FC":
            offered.append(("US-A-INS", insurance))
        if service == "US-XM":
            offered.append(("US-A-HFPU", Decimal("0.00")))
    else:
        if service in ("US-PMI", "US-EMI"):
            offered.append(("US-A-INS", insurance))
        ddp_ok = (
            country == "CA"
            and service in GAP_SERVICES
            and package not in ("Flat Rate Box", "Large Flat Rate Box")
            and not (service == "US-PMI" and oz >= 64)
        )
        if ddp_ok:
            offered.append(("US-A-DDP", Decimal("2.50")))
    return [
        {"Amount": amount, "AddOnType": code, "AddOnDescription": ADD_ON_NAMES[code]}
        for code, amount in offered
    ]


# R40: USPS's non-standard fees for parcels, itemised apart from Amount as SWSIM's
# RateV46.Surcharges (SurchargeTypeV5). Same on every plan.
NON_STANDARD = ("US-GA", "US-PM", "US-XM")
LENGTH_FEE = Decimal("4.00")  # SUR-A-NSDIM1: longest side over 22 in, up to 30 in
LONG_LENGTH_FEE = Decimal("15.00")  # SUR-A-NSDIM2: longest side over 30 in
VOLUME_FEE = Decimal("15.00")  # SUR-A-NSVOL: over 2 cubic feet


def surcharges(service: str, rate: dict) -> list[dict]:
    if service not in NON_STANDARD:
        return []
    dims = [Decimal(str(rate.get(side) or 0)) for side in ("Length", "Width", "Height")]
    out = []
    longest = max(dims)
    if longest > 30:
        out.append({"Amount": LONG_LENGTH_FEE, "SurchargeType": "SUR-A-NSDIM2"})
    elif longest > 22:
        out.append({"Amount": LENGTH_FEE, "SurchargeType": "SUR-A-NSDIM1"})
    if dims[0] * dims[1] * dims[2] > 2 * 1728:
        out.append({"Amount": VOLUME_FEE, "SurchargeType": "SUR-A-NSVOL"})
    return out


def surcharges_total(rate: dict) -> Decimal:
    return sum((s["Amount"] for s in rate.get("Surcharges") or []), Decimal("0.00"))


def quote(rate: dict, service: str, *, pro: bool, today: dt.date) -> dict | None:
    """One RateV46 for ``service``, or None when the service cannot carry this piece."""
    package = rate.get("PackageType") or "Package"
    international = is_international(rate)
    if (service in INTERNATIONAL) != international:
        return None
    if service in GLOBALPOST and not pro:
        return None
    if package not in PACKAGE_TYPES[service]:
        return None
    oz = weight_oz(rate)
    if oz > MAX_OZ.get(service, 70 * 16):
        return None
    src, dst = rate.get("From") or {}, rate.get("To") or {}
    zone = geo.zone(src.get("ZIPCode") or "", dst.get("ZIPCode") or "")
    group = geo.country_group(dst.get("Country") or "")
    base = _base_price(service, package, oz, zone, group, rate)
    if base is None:
        return None
    cubic = False
    dims = [rate.get("Length"), rate.get("Width"), rate.get("Height")]
    if service == "US-PM" and package == "Package" and all(dims) and oz <= 20 * 16 and pro:
        tier = cubic_tier(*dims)
        if tier is not None and _cubic_price(tier, zone) < base:
            base, cubic = _cubic_price(tier, zone), True
    if not pro and service != "US-FC":
        base = base * 1.15 + 0.20
    ship_date = rate.get("ShipDate") or today
    days = DELIVER_DAYS[service]
    out = {
        "From": src,
        "To": dst,
        "Amount": money(base),
        "ServiceType": service,
        "ServiceDescription": DESCRIPTIONS[service],
        "DeliverDays": days,
        "WeightLb": rate.get("WeightLb") or 0.0,
        "WeightOz": rate.get("WeightOz") or 0.0,
        "PackageType": package,
        "Length": rate.get("Length"),
        "Width": rate.get("Width"),
        "Height": rate.get("Height"),
        "ShipDate": ship_date,
        "DeliveryDate": ship_date + dt.timedelta(days=int(days.split("-")[-1])),
        "InsuredValue": rate.get("InsuredValue"),
        "DeclaredValue": rate.get("DeclaredValue"),
        "NonMachinable": rate.get("NonMachinable"),
        "AddOns": add_ons(service, package, rate, oz),
        "Surcharges": surcharges(service, rate) or None,
        "EffectiveWeightInOunces": math.ceil(oz),
        "Zone": None if international else zone,
        "CubicPricing": cubic,
        "ContentType": rate.get("ContentType"),
    }
    return out


def validate(rate: dict) -> None:
    """Carrier checks that apply to every rate and label request."""
    if weight_oz(rate) <= 0:
        raise SandboxFault("Weight must be greater than 0.", "00500010")
    require_province(rate.get("From"))
    require_province(rate.get("To"))
    to = rate.get("To") or {}
    if is_international(rate):
        if not (to.get("PostalCode") or "").strip():
            raise SandboxFault("The actual length is less than the MinLength value", "00500000")
    elif not (to.get("ZIPCode") or "").strip():
        raise SandboxFault("The actual length is less than the MinLength value", "00500000")
    if not ((rate.get("From") or {}).get("ZIPCode") or "").strip():
        raise SandboxFault("The actual length is less than the MinLength value", "00500000")


def get_rates(rate: dict, *, pro: bool, today: dt.date) -> list[dict]:
    validate(rate)
    service = rate.get("ServiceType")
    services = [service] if service else (INTERNATIONAL if is_international(rate) else DOMESTIC)
    rates = [q for s in services if (q := quote(rate, s, pro=pro, today=today))]
    if service and not rates:
        raise SandboxFault(
            f"{DESCRIPTIONS.get(service, service)} is not available for this package type, "
            "weight or destination.",
            "00500011",
        )
    return rates
