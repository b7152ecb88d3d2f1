"""Rate shopping: every eligible service for a package, with surcharges, delivery days, the
cheapest and fastest marked, cubic tiers (R20, R35), GlobalPost abroad and the account's own
rates or the free account's discounted ones.

``query_for_order`` turns an order into a ``RateQuery``; ``rate_shop`` prices it. Answers are
cached briefly per identical query and account, so flipping an option back and forth does not
call Stamps.com each time.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.core.cache import cache

from carriers.models import CarrierAccount
from carriers.stamps import errors
from carriers.stamps.accounts import call
from carriers.stamps.types import Address, Rate, RateRequest
from locations.models import ShipFromLocation
from orders.addresses import carrier_ship_to
from orders.catalog import Confirmation, PackageType, Service
from orders.models import Order
from shipments.models import ADD_ON_LABELS

log = logging.getLogger(__name__)

QUARTER = Decimal("0.25")
CUBIC_MAX_FEET = Decimal("0.5")
CUBIC_MAX_OZ = 20 * 16
# USPS's limit for any service: the carrier just offers nothing above it, so ShipDesk says why.
USPS_MAX_OZ = 70 * 16
GLOBALPOST_PREFIX = "SC-GP"
GAP_SERVICES = {"US-FCI", "US-PMI", "US-EMI"}  # R24

# Other Shipping Options -> SWSIM add-on codes. USPS Tracking is included where offered and
# never rules a service out (First-Class letters and flats have none, R26).
SOFT_ADD_ONS = {"US-A-DC"}


def cubic_tier(length, width, height) -> Decimal | None:
    """R35: each side rounded down to 1/4 inch, L x W x H / 1728 cubic feet, priced at the next
    tenth up (0.1 ... 0.5); above 0.5 cubic feet there is no cubic price."""
    try:
        sides = [
            (Decimal(str(s)) / QUARTER).to_integral_value(rounding=ROUND_DOWN) * QUARTER
            for s in (length, width, height)
        ]
    except ArithmeticError:
        return None
    feet = sides[0] * sides[1] * sides[2] / Decimal(1728)
    if feet <= 0 or feet > CUBIC_MAX_FEET:
        return None
    return Decimal(math.ceil(feet * 10)) / 10


@dataclass(frozen=True)
class RateQuery:
    from_zip: str
    to: Address
    weight_oz: Decimal
    package_type: str = PackageType.PACKAGE
    length: Decimal | None = None
    width: Decimal | None = None
    height: Decimal | None = None
    add_ons: tuple[str, ...] = ()
    insured_value: Decimal = Decimal("0")
    non_machinable: bool = False
    ship_date: dt.date | None = None

    @property
    def international(self) -> bool:
        return self.to.country not in ("", "US")

    @property
    def has_dimensions(self) -> bool:
        return bool(self.length and self.width and self.height)

    def request(self, service: str = "") -> RateRequest:
        lb, oz = divmod(self.weight_oz, 16)
        return RateRequest(
            from_zip=self.from_zip,
            to=self.to,
            weight_lb=float(lb),
            weight_oz=float(oz),
            package_type=self.package_type,
            service_type=service,
            ship_date=self.ship_date,
            length=float(self.length or 0),
            width=float(self.width or 0),
            height=float(self.height or 0),
            insured_value=self.insured_value or None,
            non_machinable=self.non_machinable,
        )

    def cache_key(self, account: CarrierAccount, service: str = "") -> str:
        # str(): the plan is an enum member on an account just made, a str once read back.
        raw = repr((account.pk, str(account.plan), account.username, service, self))
        return "rates:" + hashlib.sha256(raw.encode()).hexdigest()


def order_add_ons(order: Order) -> tuple[str, ...]:
    codes = []
    if order.confirmation == Confirmation.TRACKING and not order.is_international:
        codes.append("US-A-DC")
    elif order.confirmation == Confirmation.SIGNATURE:
        codes.append("US-A-SC")
    elif order.confirmation == Confirmation.ADULT_SIGNATURE:
        codes.append("US-A-ASR")
    if order.insurance_amount and order.insurance_amount > 0:
        codes.append("US-A-INS")
    if order.dangerous_goods:
        codes.append("US-A-HM")
    if order.hold_for_pickup:
        codes.append("US-A-HFPU")
    if order.prepay_duties_canada:
        codes.append("US-A-DDP")
    return tuple(codes)


def from_address(location: ShipFromLocation) -> Address:
    return Address(
        full_name=location.contact_name,
        company=location.company,
        address1=location.street1,
        address2=location.street2,
        city=location.city,
        state=location.state,
        zip_code=location.postal_code[:5],
        country=location.country,
        phone=location.phone,
    )


def query_for_order(order: Order, ship_date: dt.date | None = None) -> RateQuery:
    ship_from = order.ship_from
    return RateQuery(
        from_zip=(ship_from.postal_code[:5] if ship_from else ""),
        # R37: the carrier's checked address once there is one (the ZIP may be corrected).
        to=carrier_ship_to(order),
        weight_oz=order.package_weight_oz,
        package_type=order.package_type,
        length=order.length_in,
        width=order.width_in,
        height=order.height_in,
        add_ons=order_add_ons(order),
        insured_value=order.insurance_amount or Decimal("0"),
        non_machinable=order.non_machinable,
        ship_date=ship_date,
    )


@dataclass
class Quote:
    rate: Rate
    surcharges: list[tuple[str, Decimal]]
    add_on_codes: tuple[str, ...]
    cubic_tier: Decimal | None = None
    cheapest: bool = False
    fastest: bool = False

    @property
    def service(self) -> str:
        return self.rate.service_type

    @property
    def name(self) -> str:
        # The catalog's name, which the order list and the order page show too (the label
        # keeps it as its service_name); the carrier's wording only for a code it lacks.
        if self.service in Service.values:
            return Service(self.service).label
        return self.rate.service_description or self.service

    @property
    def postage(self) -> Decimal:
        return self.rate.amount

    @property
    def total(self) -> Decimal:
        return self.rate.amount + sum((a for _, a in self.surcharges), Decimal("0.00"))

    @property
    def delivery_days(self) -> str:
        return self.rate.delivery_days

    @property
    def globalpost(self) -> bool:
        return self.service.startswith(GLOBALPOST_PREFIX)

    @property
    def gap(self) -> bool:
        return self.service in GAP_SERVICES

    @property
    def max_days(self) -> int:
        try:
            return int(self.delivery_days.split("-")[-1])
        except ValueError:
            return 99


@dataclass
class RateShop:
    account: CarrierAccount | None
    quotes: list[Quote] = field(default_factory=list)
    # Services left out because they don't offer a chosen option: (service name, options).
    hidden: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def discounted(self) -> bool:
        return bool(self.account and self.account.plan == CarrierAccount.Plan.PRO_FREE)


def _carrier_rates(account: CarrierAccount, query: RateQuery, service: str = "") -> list[Rate]:
    """The carrier's rates for ``query`` (one ``service``, or every one), from the cache when
    they were asked for in the last ``RATE_CACHE_SECONDS``.

    One service's rates may also come from the every-service rates of the same query: the
    order page shows those, and buying one of them then needs no second GetRates (a carrier
    call of its own, a second or more of the merchant's wait)."""
    key = query.cache_key(account, service)
    keys = [key, query.cache_key(account)] if service else [key]
    cached = cache.get_many(keys)
    for found in (cached.get(k) for k in keys):
        if found is not None and (not service or any(r.service_type == service for r in found)):
            return found
    found = call(account, lambda c: c.get_rates(query.request(service)))
    held = _held.get()
    if held is None:
        cache.set(key, found, settings.RATE_CACHE_SECONDS)
    else:
        held[key] = found
    return found


# The rates asked for inside ``cached_unless_bought``, by cache key: cached if it fails.
_held: contextvars.ContextVar[dict[str, list[Rate]] | None] = contextvars.ContextVar(
    "rates_held", default=None
)


@contextmanager
def cached_unless_bought() -> Iterator[None]:
    """The rates asked for inside (a label's purchase) are cached only should it fail.

    A purchase asks the carrier for its rate itself when none was shown in the last
    ``RATE_CACHE_SECONDS``. Once the label is bought that rate has no use: the order has
    shipped. When the purchase fails (not enough funds, an answer lost on the way), the
    merchant tries again, and the retry finds the rate without a second GetRates. Caching it
    every time cost each such purchase the rates' pickling and a write to Redis, about
    0.3 ms of the merchant's wait (``make bench``: label_cost)."""
    if _held.get() is not None:
        yield
        return
    held: dict[str, list[Rate]] = {}
    token = _held.set(held)
    try:
        yield
    except BaseException:
        if held:
            try:
                cache.set_many(held, settings.RATE_CACHE_SECONDS)
            except Exception:  # the purchase's own error is the one to report
                log.warning("could not cache the rates of a failed purchase", exc_info=True)
        raise
    finally:
        _held.reset(token)


def quote_from_rate(rate: Rate, query: RateQuery) -> tuple[Quote | None, list[str]]:
    """The quote with the chosen options, or None and the options the service lacks."""
    offered = {a.type: a for a in rate.add_ons}
    missing = [c for c in query.add_ons if c not in offered and c not in SOFT_ADD_ONS]
    if missing:
        return None, [ADD_ON_LABELS.get(c, c) for c in missing]
    codes = tuple(c for c in query.add_ons if c in offered)
    surcharges = [
        (ADD_ON_LABELS.get(c, c), offered[c].amount or Decimal("0.00"))
        for c in codes
        if offered[c].amount
    ]
    # R40: the carrier's own fees (non-standard length, volume...) are lines of the quote too.
    surcharges += [(fee.name, fee.amount) for fee in rate.surcharges if fee.amount]
    tier = None
    if rate.cubic_pricing and query.has_dimensions:
        tier = cubic_tier(query.length, query.width, query.height)
    return Quote(rate=rate, surcharges=surcharges, add_on_codes=codes, cubic_tier=tier), []


def _pounds(weight_oz: Decimal) -> str:
    lb, oz = divmod(Decimal(weight_oz), 16)
    return f"{lb:,.0f} lb" + (f" {oz.normalize():f} oz" if oz else "")


def rate_shop(account: CarrierAccount | None, query: RateQuery) -> RateShop:
    shop = RateShop(account=account)
    if account is None:
        shop.error = "Connect a Stamps.com account to see rates."
        return shop
    if query.weight_oz <= 0:
        shop.error = "Enter the package weight to see rates."
        return shop
    if not query.from_zip:
        shop.error = "Choose a ship-from location to see rates."
        return shop
    if query.weight_oz > USPS_MAX_OZ:
        shop.error = (
            f"USPS takes packages up to 70 lb; this one weighs {_pounds(query.weight_oz)}. "
            "Split the shipment into several packages, or correct the weight."
        )
        return shop
    try:
        rates = _carrier_rates(account, query)
    except errors.StampsError as exc:
        shop.error = exc.merchant_message
        return shop
    for rate in rates:
        quote, missing = quote_from_rate(rate, query)
        if quote is None:
            shop.hidden.append((rate.service_description or rate.service_type, ", ".join(missing)))
        else:
            shop.quotes.append(quote)
    if not shop.quotes and shop.hidden:
        wanted = sorted({why for _, why in shop.hidden})
        shop.error = (
            f"No service Stamps.com offers here has {' or '.join(wanted)}: turn "
            f"{'it' if len(wanted) == 1 else 'them'} off in Other Shipping Options to see rates."
        )
    elif not shop.quotes:
        shop.error = (
            "Stamps.com offered no USPS service for this package and destination: check the "
            "package type, weight and dimensions, and the ship-to country."
        )
    shop.quotes.sort(key=lambda q: (q.total, q.max_days))
    if shop.quotes:
        shop.quotes[0].cheapest = True
        min(shop.quotes, key=lambda q: (q.max_days, q.total)).fastest = True
    if (
        not query.international
        and query.package_type == PackageType.PACKAGE
        and not query.has_dimensions
        and query.weight_oz <= CUBIC_MAX_OZ
    ):
        shop.notes.append(
            "Add the package dimensions to get Priority Mail cubic prices when they're lower."
        )
    if query.international and not shop.discounted:
        shop.notes.append(
            "GlobalPost services come with the free Stamps.com account opened through ShipDesk."
        )
    return shop


def rate_for_service(account: CarrierAccount, query: RateQuery, service: str) -> Quote:
    """The single quote used to buy a label; raises StampsError or ValueError."""
    rates = _carrier_rates(account, query, service)
    rate = next((r for r in rates if r.service_type == service), None)
    if rate is None:
        raise ValueError(f"{service} is not available for this package and destination.")
    quote, missing = quote_from_rate(rate, query)
    if quote is None:
        raise ValueError(
            f"{rate.service_description or service} doesn't offer {', '.join(missing)}: "
            "choose another service or change the options."
        )
    return quote
