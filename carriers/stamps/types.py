"""Plain results and requests of the Stamps.com client: the rest of ShipDesk sees only these.

Names follow ShipDesk (snake_case, Decimal money); the SWSIM element each field maps to is
given where it is not obvious. ``carriers.stamps.client`` converts to and from zeep objects.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Address:
    """SWSIM ``Address``. Domestic addresses use ``zip_code``; others ``postal_code``."""

    full_name: str = ""
    company: str = ""
    address1: str = ""
    address2: str = ""
    address3: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    zip_addon: str = ""
    postal_code: str = ""
    province: str = ""
    country: str = "US"
    phone: str = ""
    email: str = ""
    # Returned by CleanseAddress; send it back with CreateIndicium.
    cleanse_hash: str = ""
    override_hash: str = ""


@dataclass(frozen=True)
class Authentication:
    last_login: dt.datetime | None = None
    password_expired: bool = False
    banner: str = ""


@dataclass(frozen=True)
class CreditCard:
    card_type: str  # Visa, MasterCard, AmericanExpress, Discover
    number: str
    expiration: dt.date
    cvn: str = ""
    billing_address: Address | None = None

    def __repr__(self) -> str:  # never show the number
        return f"CreditCard({self.card_type}, ****{self.number[-4:]})"


@dataclass(frozen=True)
class Registration:
    status: str  # Success | Fail
    user_id: int | None = None
    suggested_username: str = ""
    promo_url: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "Success"


@dataclass(frozen=True)
class AutoBuy:
    """SWSIM ``AutoBuySettings``: when the balance drops below ``trigger_amount``, buy
    ``purchase_amount``."""

    enabled: bool = False
    purchase_amount: Decimal = Decimal("0.00")
    trigger_amount: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class Capabilities:
    can_print_cubic: bool = False
    can_print_gp: bool = False
    can_print_international: bool = False
    can_purchase_postage: bool = False
    can_create_scan_form: bool = False
    can_view_online_reports: bool = False


@dataclass(frozen=True)
class AccountInfo:
    username: str
    balance: Decimal  # PostageBalance.AvailablePostage
    control_total: Decimal  # PostageBalance.ControlTotal: all postage ever bought
    max_balance: Decimal  # MaxPostageBalance
    auto_buy: AutoBuy
    capabilities: Capabilities
    customer_id: int | None = None
    account_id: int | None = None
    plan_id: int | None = None
    rateset_type: str = ""
    account_status: str = ""
    verification_phone: str = ""
    email: str = ""
    address: Address | None = None


@dataclass(frozen=True)
class Purchase:
    """PurchasePostage answer. ``Pending``/``Processing`` settle later (see GetAccountInfo)."""

    status: str  # Pending | Processing | Success | Rejected
    integrator_tx_id: str = ""
    transaction_id: int | None = None
    balance: Decimal | None = None
    control_total: Decimal | None = None
    rejection_reason: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == "Success"

    @property
    def pending(self) -> bool:
        return self.status in ("Pending", "Processing")


@dataclass(frozen=True)
class RateRequest:
    """What to rate: SWSIM ``RateV46`` request fields. ``service_type`` empty rates all."""

    from_zip: str
    to: Address
    weight_lb: float = 0.0
    weight_oz: float = 0.0
    package_type: str = "Package"
    service_type: str = ""
    ship_date: dt.date | None = None
    length: float = 0.0
    width: float = 0.0
    height: float = 0.0
    insured_value: Decimal | None = None
    declared_value: Decimal | None = None
    add_ons: tuple[str, ...] = ()
    content_type: str = ""
    non_machinable: bool = False
    cubic_pricing: bool = False
    carrier: str = "USPS"


@dataclass(frozen=True)
class AddOn:
    type: str  # AddOnTypeV20, e.g. US-A-HM (hazmat), US-A-SC (signature)
    amount: Decimal | None = None
    description: str = ""
    requires_all_of: tuple[tuple[str, ...], ...] = ()
    prohibited_with: tuple[str, ...] = ()


# R40: SWSIM SurchargeTypeV5 codes ShipDesk names for merchants (others show their code).
SURCHARGE_NAMES = {
    "SUR-A-NSDIM1": "Non-standard length fee (over 22 in)",
    "SUR-A-NSDIM2": "Non-standard length fee (over 30 in)",
    "SUR-A-NSVOL": "Non-standard volume fee (over 2 cu ft)",
    "SUR-A-NM": "Non-machinable surcharge",
    "SUR-A-FUEL": "Fuel surcharge",
    "SUR-A-RD": "Residential delivery surcharge",
    "SUR-A-DAS": "Delivery area surcharge",
    "SUR-A-OS": "Oversize surcharge",
    "SUR-A-OW": "Overweight surcharge",
}


@dataclass(frozen=True)
class Surcharge:
    """SWSIM ``SurchargeV5``: a fee the carrier charges on top of ``Rate.amount`` (R40)."""

    type: str  # SurchargeTypeV5, e.g. SUR-A-NSDIM1
    amount: Decimal = Decimal("0.00")

    @property
    def name(self) -> str:
        return SURCHARGE_NAMES.get(self.type, self.type)


@dataclass(frozen=True)
class Rate:
    """One priced service. Pass it (with chosen ``add_ons``) to ``create_indicium``."""

    service_type: str
    package_type: str
    amount: Decimal
    service_description: str = ""
    max_amount: Decimal | None = None
    delivery_days: str = ""
    delivery_date: dt.date | None = None
    zone: int | None = None
    cubic_pricing: bool = False
    effective_weight_oz: int | None = None
    dim_weighting: str = ""
    add_ons: tuple[AddOn, ...] = ()
    ship_date: dt.date | None = None
    from_zip: str = ""
    to: Address | None = None
    weight_lb: float = 0.0
    weight_oz: float = 0.0
    length: float = 0.0
    width: float = 0.0
    height: float = 0.0
    content_type: str = ""
    rate_category: int | None = None
    insured_value: Decimal | None = None
    declared_value: Decimal | None = None
    non_machinable: bool = False
    # R40: charged on top of ``amount`` (SWSIM RateV46.Surcharges), apart from add-ons.
    surcharges: tuple[Surcharge, ...] = ()

    def add_on(self, add_on_type: str) -> AddOn | None:
        return next((a for a in self.add_ons if a.type == add_on_type), None)

    @property
    def surcharges_total(self) -> Decimal:
        return sum((s.amount for s in self.surcharges), Decimal("0.00"))


@dataclass(frozen=True)
class CleansedAddress:
    address: Address
    address_match: bool
    city_state_zip_ok: bool
    residential: str = ""  # Yes | No | Unknown | Unsupported
    is_po_box: bool = False
    candidates: tuple[Address, ...] = ()
    result: str = ""  # AddressCleansingResult
    verification_level: str = ""


@dataclass(frozen=True)
class CustomsLine:
    description: str
    quantity: float
    value: Decimal
    weight_lb: float = 0.0
    weight_oz: float = 0.0
    hs_tariff_number: str = ""
    country_of_origin: str = ""
    sku: str = ""


@dataclass(frozen=True)
class Customs:
    content_type: str  # ContentTypeV2: Merchandise, Gift, Document, ...
    lines: tuple[CustomsLine, ...] = ()
    comments: str = ""
    other_describe: str = ""
    signer: str = ""
    invoice_number: str = ""


@dataclass(frozen=True)
class ReturnLabel:
    """What makes CreateIndicium a prepaid return label: the Rate's ``PrintLayout`` (Normal
    layouts have Return twins; plain "Return" lets the carrier size it) and
    ``ReturnLabelExpirationDays``. ``return_to`` is CreateIndicium's ``ReturnTo``, the return
    address printed on the label when it is not the From address; ShipDesk leaves it out
    (the buyer is the From). See carriers/stamps/sandbox/README.md for what is unknown."""

    expiration_days: int
    print_layout: str = "Return"
    return_to: Address | None = None


@dataclass(frozen=True)
class Indicium:
    """A label (CreateIndicium answer)."""

    integrator_tx_id: str
    stamps_tx_id: str
    tracking_number: str = ""
    url: str = ""
    amount: Decimal | None = None
    balance: Decimal | None = None
    control_total: Decimal | None = None
    image_data: tuple[bytes, ...] = ()
    label_category: str = ""
    rate: Rate | None = None
    form_url: str = ""  # the customs form (CN22/CP72) of an international or APO/FPO label
    # What the label cost: Amount, the add-ons bought and the surcharges (R40).
    total: Decimal | None = None


@dataclass(frozen=True)
class LabelImage:
    """How a label is to be drawn: SWSIM ImageType, PaperSize and ImageDpi (R39)."""

    image_type: str = "Pdf"
    paper_size: str = "LabelSize"
    image_dpi: str = "ImageDpiDefault"


@dataclass(frozen=True)
class Reprint:
    """ReprintIndicium's answer: the same label's image, drawn again, never bought again."""

    url: str = ""
    form_url: str = ""
    image_data: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class LabelRefund:
    """A voided label's refund as GetShipmentList reports it (``ShipmentV39.RefundStatus``).

    A void is a refund request (R41): ``complete`` once USPS approved it and the carrier
    credited ``approved`` to the balance."""

    stamps_tx_id: str
    tracking_number: str = ""
    shipment_status: str = ""  # Printed | Pending Refund | Refunded | ...
    refund_type: str = ""  # E-refund | Mail-in
    status: str = ""  # PostageRefundStatus: Pending | Processing | Complete | Duplicate
    requested: Decimal = Decimal("0.00")
    approved: Decimal = Decimal("0.00")
    requested_at: dt.datetime | None = None
    expected_at: dt.datetime | None = None  # EstimatedPostageRefundCompletionDate

    @property
    def complete(self) -> bool:
        return self.status == "Complete"


@dataclass(frozen=True)
class Manifest:
    manifest_id: str
    url: str = ""
    manifest_type: str = ""


@dataclass(frozen=True)
class PickupContact:
    first_name: str
    last_name: str
    phone: str  # 10 digits
    phone_ext: str = ""
    email: str = ""


@dataclass(frozen=True)
class PickupAddress:
    address: str
    city: str
    state: str
    zip_code: str
    company: str = ""
    zip4: str = ""
    address2: str = ""


@dataclass(frozen=True)
class PickupPackages:
    priority: int = 0
    express: int = 0
    international: int = 0
    first_class: int = 0
    parcel_select: int = 0
    other: int = 0
    total_weight_lb: int = 1
    location: str = "FrontDoor"  # CarrierPickupLocationV1
    instructions: str = ""


@dataclass(frozen=True)
class Pickup:
    confirmation_number: str
    pickup_date: str = ""
    day_of_week: str = ""
    earliest: str = ""
    latest: str = ""
    estimated_amount: Decimal | None = None
    status: str = ""


@dataclass(frozen=True)
class TrackingEvent:
    timestamp: dt.datetime | None
    event: str
    event_type: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    country: str = ""
    signed_by: str = ""


@dataclass(frozen=True)
class Tracking:
    events: tuple[TrackingEvent, ...] = ()
    expected_delivery: dt.datetime | None = None
    guaranteed_delivery: dt.datetime | None = None
    service_description: str = ""
    carrier: str = ""
    destination: dict[str, str] = field(default_factory=dict)
