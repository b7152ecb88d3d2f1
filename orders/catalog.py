"""USPS services, package types and what each allows (the facts rules and validation read).

Codes are the SWSIM ``ServiceType`` and ``PackageTypeV*`` values, so the carrier client can
send them unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Service(models.TextChoices):
    GROUND_ADVANTAGE = "US-GA", "USPS Ground Advantage"
    FIRST_CLASS = "US-FC", "First-Class Mail"
    PRIORITY = "US-PM", "Priority Mail"
    EXPRESS = "US-XM", "Priority Mail Express"
    MEDIA = "US-MM", "Media Mail"
    PARCEL_SELECT = "US-PS", "Parcel Select Ground"
    FIRST_CLASS_INTL = "US-FCI", "First-Class Mail International"
    PRIORITY_INTL = "US-PMI", "Priority Mail International"
    EXPRESS_INTL = "US-EMI", "Priority Mail Express International"
    # GlobalPost is four carrier services, each bought under its own SWSIM code, so an order
    # keeps exactly the one the merchant picked in the rate list.
    GLOBALPOST = "SC-GPP", "GlobalPost Standard International"
    GLOBALPOST_ECONOMY = "SC-GPE", "GlobalPost Economy International"
    GLOBALPOST_SMARTSAVER = "SC-GPPSS", "GlobalPost Standard International SmartSaver"
    GLOBALPOST_ECONOMY_SMARTSAVER = "SC-GPESS", "GlobalPost Economy International SmartSaver"


class PackageType(models.TextChoices):
    PACKAGE = "Package", "Package"
    LETTER = "Letter", "Letter"
    LARGE_ENVELOPE = "Large Envelope or Flat", "Large Envelope or Flat"
    THICK_ENVELOPE = "Thick Envelope", "Thick Envelope"
    LARGE_PACKAGE = "Large Package", "Large Package (any side > 12 in)"
    FLAT_RATE_ENVELOPE = "Flat Rate Envelope", "Flat Rate Envelope"
    PADDED_FLAT_RATE_ENVELOPE = "Flat Rate Padded Envelope", "Padded Flat Rate Envelope"
    LEGAL_FLAT_RATE_ENVELOPE = "Legal Flat Rate Envelope", "Legal Flat Rate Envelope"
    SMALL_FLAT_RATE_BOX = "Small Flat Rate Box", "Small Flat Rate Box"
    MEDIUM_FLAT_RATE_BOX = "Flat Rate Box", "Medium Flat Rate Box"
    LARGE_FLAT_RATE_BOX = "Large Flat Rate Box", "Large Flat Rate Box"


class Confirmation(models.TextChoices):
    NONE = "none", "None"
    TRACKING = "tracking", "USPS Tracking"
    SIGNATURE = "signature", "Signature"
    ADULT_SIGNATURE = "adult_signature", "Adult Signature"


class ContentsType(models.TextChoices):
    MERCHANDISE = "merchandise", "Merchandise"
    DOCUMENTS = "documents", "Documents"
    GIFT = "gift", "Gift"
    SAMPLE = "sample", "Commercial sample"
    RETURNED_GOODS = "returned_goods", "Returned goods"
    HUMANITARIAN = "humanitarian", "Humanitarian donation"
    OTHER = "other", "Other"


class NonDelivery(models.TextChoices):
    RETURN = "return", "Return to sender"
    ABANDON = "abandon", "Treat as abandoned"


@dataclass(frozen=True)
class ServiceInfo:
    international: bool
    dangerous_goods: bool = False
    saturday_delivery: bool = False
    hold_for_pickup: bool = False
    non_machinable: bool = False
    prepay_duties_canada: bool = False


SERVICES: dict[str, ServiceInfo] = {
    # USPS accepts limited-quantity hazmat by ground and by air on Priority services only.
    Service.GROUND_ADVANTAGE: ServiceInfo(
        False, dangerous_goods=True, hold_for_pickup=True, non_machinable=True
    ),
    Service.FIRST_CLASS: ServiceInfo(False, non_machinable=True),
    Service.PRIORITY: ServiceInfo(False, dangerous_goods=True, hold_for_pickup=True),
    Service.EXPRESS: ServiceInfo(
        False, dangerous_goods=True, saturday_delivery=True, hold_for_pickup=True
    ),
    Service.MEDIA: ServiceInfo(False),
    Service.PARCEL_SELECT: ServiceInfo(False, dangerous_goods=True, non_machinable=True),
    Service.FIRST_CLASS_INTL: ServiceInfo(True, prepay_duties_canada=True),
    Service.PRIORITY_INTL: ServiceInfo(True, prepay_duties_canada=True),
    Service.EXPRESS_INTL: ServiceInfo(True, prepay_duties_canada=True),
    Service.GLOBALPOST: ServiceInfo(True),
    Service.GLOBALPOST_ECONOMY: ServiceInfo(True),
    Service.GLOBALPOST_SMARTSAVER: ServiceInfo(True),
    Service.GLOBALPOST_ECONOMY_SMARTSAVER: ServiceInfo(True),
}
GLOBALPOST_SERVICES = frozenset(
    {
        Service.GLOBALPOST,
        Service.GLOBALPOST_ECONOMY,
        Service.GLOBALPOST_SMARTSAVER,
        Service.GLOBALPOST_ECONOMY_SMARTSAVER,
    }
)

# The most pounds a form takes: well above anything USPS carries (70 lb), whose limit the
# carrier explains; this only keeps absurd numbers out of the arithmetic and the database.
MAX_FORM_WEIGHT_LB = 150

FLAT_PACKAGE_TYPES = {PackageType.LARGE_ENVELOPE}
NO_PREPAY_DUTIES_PACKAGES = {PackageType.MEDIUM_FLAT_RATE_BOX, PackageType.LARGE_FLAT_RATE_BOX}

PACKAGE_TYPE_ALIASES = {
    **{v.lower(): v for v in PackageType.values},
    **{label.lower(): value for value, label in PackageType.choices},
    "large envelope": PackageType.LARGE_ENVELOPE,
    "flat": PackageType.LARGE_ENVELOPE,
    "medium flat rate box": PackageType.MEDIUM_FLAT_RATE_BOX,
    "box": PackageType.PACKAGE,
    "parcel": PackageType.PACKAGE,
}

SERVICE_ALIASES = {
    **{v.lower(): v for v in Service.values},
    **{label.lower(): value for value, label in Service.choices},
    "ground advantage": Service.GROUND_ADVANTAGE,
    "priority": Service.PRIORITY,
    "priority mail express": Service.EXPRESS,
    "express": Service.EXPRESS,
    "first class": Service.FIRST_CLASS,
    "globalpost": Service.GLOBALPOST,
    "globalpost standard": Service.GLOBALPOST,
    "globalpost economy": Service.GLOBALPOST_ECONOMY,
    "gp-std": Service.GLOBALPOST,
}


def service_info(code: str) -> ServiceInfo | None:
    return SERVICES.get(code)
