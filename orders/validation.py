"""Checks before any carrier call (R15-R23), each message naming the fix.

``available_options`` decides what the Other Shipping Options panel offers for an order's
service and destination; ``shipment_problems`` lists everything wrong or worth knowing;
``ensure_shippable`` is what rating and label code call before talking to the carrier.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from locations.models import ShipFromLocation
from locations.shipping_day import ship_date_for
from orders.catalog import (
    NO_PREPAY_DUTIES_PACKAGES,
    Confirmation,
    ContentsType,
    PackageType,
    Service,
    service_info,
)
from orders.countries import NO_POSTAL_CODE, country_name
from orders.models import CountryServiceAlert, Order
from orders.ship_dates import order_today

ERROR, WARNING, INFO = "error", "warning", "info"
# A step not taken yet (no service, no weight): it blocks a purchase like an error, but an order
# nobody has touched is not wrong, so pages list these as what is left to do, not in red.
TODO = "todo"
BLOCKING = {ERROR, TODO}
PREPAY_DUTIES_SERVICES = {Service.FIRST_CLASS_INTL, Service.PRIORITY_INTL, Service.EXPRESS_INTL}
HAZMAT_SERVICES = [s for s in Service if (i := service_info(s)) and i.dangerous_goods]
SIGNATURES = {Confirmation.SIGNATURE, Confirmation.ADULT_SIGNATURE}


@dataclass(frozen=True)
class Problem:
    rule: str
    level: str
    field: str
    message: str


class ShipmentInvalid(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(" ".join(p.message for p in problems))


def _service_label(code: str) -> str:
    return Service(code).label if code in Service.values else "no service"


def needs_customs(order: Order) -> bool:
    return order.is_international or order.is_military


def label_messages_allowed(order: Order) -> bool:
    """R17: not international, and not domestic First-Class Mail letters."""
    if order.is_international:
        return False
    return not (order.service == Service.FIRST_CLASS and order.package_type == PackageType.LETTER)


def prepay_duties_problem(order: Order) -> str | None:
    """R22: why Prepay duties to Canada is unavailable, or None when it is available."""
    if order.country != "CA":
        return "Prepay duties is only for shipments to Canada."
    if order.service not in PREPAY_DUTIES_SERVICES:
        return (
            "Prepay duties needs First-Class Mail International, Priority Mail International or "
            "Priority Mail Express International: choose one of those services."
        )
    if order.package_type in NO_PREPAY_DUTIES_PACKAGES:
        return (
            "Prepay duties isn't offered for Medium or Large Flat Rate Boxes: use a Package or "
            "a Small Flat Rate Box."
        )
    if order.service == Service.PRIORITY_INTL and order.package_weight_oz >= 64:
        return (
            "Prepay duties with Priority Mail International is only under 4 lb: choose Priority "
            "Mail Express International or lighten the package."
        )
    return None


def available_options(order: Order) -> dict[str, bool]:
    info = service_info(order.service)
    domestic = not order.is_international
    return {
        "dangerous_goods": bool(info and info.dangerous_goods and domestic),  # R15
        "signature": domestic,  # R16
        "insurance": True,
        "non_machinable": bool(info and info.non_machinable),
        "hold_for_pickup": bool(info and info.hold_for_pickup and domestic),
        "saturday_delivery": bool(info and info.saturday_delivery),
        "label_messages": label_messages_allowed(order),  # R17
        "prepay_duties_canada": prepay_duties_problem(order) is None,  # R22
        "customs": needs_customs(order),
    }


def valid_name(name: str) -> bool:
    """R18: a first and a last name, each at least two characters, separated by a space."""
    words = (name or "").split()
    return len(words) >= 2 and len(words[0]) >= 2 and len(words[-1]) >= 2


def carrier_postal_code(order: Order) -> str:
    """R19: countries without postal codes get 00000, which passes the carrier's schema."""
    if order.country in NO_POSTAL_CODE and not order.postal_code.strip():
        return "00000"
    return order.postal_code


def active_alerts(
    order: Order, ship_from: ShipFromLocation | None = None
) -> list[CountryServiceAlert]:
    """R23: admin-kept alerts for the destination on the day a label bought now would ship;
    military and diplomatic mail is exempt."""
    if order.is_military:
        return []
    ship_from = ship_from or order.ship_from
    # A disruption concerns the parcel USPS carries, so it is judged on the day the parcel is
    # handed over: the ship-from location's ship date, the next shipping day after its cut-off
    # (R43), the day the rates beside the warning are priced for. Not the day of whoever asks:
    # the store's may already be another where the warehouse is, and outside a merchant's
    # request only the server's UTC one is active.
    day = ship_date_for(ship_from) if ship_from else order_today(order)
    alerts = CountryServiceAlert.objects.filter(country=order.country, active=True).filter(
        Q(starts_on__isnull=True) | Q(starts_on__lte=day),
        Q(ends_on__isnull=True) | Q(ends_on__gte=day),
    )
    return [a for a in alerts if not a.service_list or order.service in a.service_list]


def option_problems(order: Order) -> list[Problem]:
    """Choices the selected service and destination don't allow (R15, R16, R17, R22)."""
    problems = []
    service = _service_label(order.service)
    if order.dangerous_goods and not available_options(order)["dangerous_goods"]:
        hazmat = ", ".join(Service(s).label for s in HAZMAT_SERVICES)
        where = (
            "USPS doesn't carry Dangerous Goods to other countries"
            if order.is_international
            else f"Dangerous Goods can't ship with {service}"
        )
        problems.append(
            Problem(
                "R15",
                ERROR,
                "dangerous_goods",
                f"{where}: choose {hazmat}, or turn off Dangerous Goods.",
            )
        )
    if order.confirmation in SIGNATURES and order.is_international:
        problems.append(
            Problem(
                "R16",
                ERROR,
                "confirmation",
                "USPS offers no Signature or Adult Signature confirmation to international "
                "addresses: choose USPS Tracking or None.",
            )
        )
    if order.label_messages and not label_messages_allowed(order):
        why = (
            "international shipments"
            if order.is_international
            else "First-Class Mail with the Letter package type"
        )
        problems.append(
            Problem(
                "R17",
                ERROR,
                "label_message_1",
                f"Label messages aren't available for {why}: remove them"
                + ("." if order.is_international else ", or choose another package type."),
            )
        )
    if order.prepay_duties_canada and (duties := prepay_duties_problem(order)):
        problems.append(Problem("R22", ERROR, "prepay_duties_canada", duties))
    return problems


def shipment_problems(
    order: Order, ship_from: ShipFromLocation | None = None, *, alerts: bool = True
) -> list[Problem]:
    """Everything to fix or know before rating or buying a label for ``order``.

    ``alerts=False`` leaves out the country alerts (R23): warnings that never stop a label,
    so a purchase, which only needs what blocks it, does not read them."""
    ship_from = ship_from or order.ship_from
    problems = option_problems(order)
    info = service_info(order.service)
    if not order.service:
        problems.append(Problem("", TODO, "service", "Choose a service in the rate list."))
    elif info and info.international != order.is_international:
        kind = "an international" if order.is_international else "a domestic"
        problems.append(
            Problem(
                "",
                ERROR,
                "service",
                f"{_service_label(order.service)} doesn't go to {country_name(order.country)}: "
                f"choose {kind} service.",
            )
        )
    if order.package_weight_oz <= 0:
        problems.append(Problem("", TODO, "weight_oz", "Enter the package weight."))
    if ship_from is None:
        problems.append(Problem("", TODO, "ship_from", "Choose a ship-from location."))
    if order.is_international or order.is_military:
        if not valid_name(order.recipient_name):
            problems.append(
                Problem(
                    "R18",
                    ERROR,
                    "recipient_name",
                    f"Recipient name '{order.recipient_name}' needs a first and last name, each "
                    "at least two characters, separated by a space (international and "
                    "APO/FPO/DPO mail): edit the ship-to name.",
                )
            )
        if ship_from is not None and not valid_name(ship_from.contact_name):
            problems.append(
                Problem(
                    "R18",
                    ERROR,
                    "ship_from",
                    f"Ship-from name '{ship_from.contact_name}' needs a first and last name, each "
                    "at least two characters, separated by a space: edit the ship-from location.",
                )
            )
    if order.is_international and carrier_postal_code(order) == "00000":
        problems.append(
            Problem(
                "R19",
                INFO,
                "postal_code",
                f"{country_name(order.country)} has no postal codes: ShipDesk sends 00000.",
            )
        )
    if (
        order.service == Service.PRIORITY
        and order.package_type == PackageType.PACKAGE
        and not (order.length_in and order.width_in and order.height_in)
    ):
        problems.append(
            Problem(
                "R20",
                INFO,
                "length_in",
                "Add the package dimensions to get cubic pricing when it's cheaper.",
            )
        )
    if (
        order.service == Service.FIRST_CLASS_INTL
        and order.package_type == PackageType.LARGE_ENVELOPE
        and order.customs_contents_type != ContentsType.DOCUMENTS
    ):
        problems.append(
            Problem(
                "R21",
                WARNING,
                "service",
                "First-Class Mail International Large Envelopes/Flats may hold only documents: "
                "this merchandise goes through GlobalPost, so the label is a domestic label to "
                "the GlobalPost facility.",
            )
        )
    for alert in active_alerts(order, ship_from) if alerts else ():
        problems.append(
            Problem(
                "R23",
                WARNING,
                "service",
                f"{alert.get_kind_display()} to {country_name(order.country)}: {alert.message} "
                "Consider GlobalPost.",
            )
        )
    return problems


def ensure_shippable(
    order: Order, ship_from: ShipFromLocation | None = None, *, alerts: bool = True
) -> list[Problem]:
    """Raise ShipmentInvalid when any error remains; return the warnings and notes
    (``alerts``: see ``shipment_problems``)."""
    problems = shipment_problems(order, ship_from, alerts=alerts)
    errors = [p for p in problems if p.level in BLOCKING]
    if errors:
        raise ShipmentInvalid(errors)
    return problems
