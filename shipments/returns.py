"""Prepaid return labels (R46): the buyer sends a shipped parcel back to one of the store's
locations on a label the store paid for.

A return label is a ``Shipment`` with ``return_of`` set, bought like any label through
``labels.send_purchase``: its IntegratorTxID is committed before CreateIndicium (a retry
finishes the same purchase, R28), and the label, its ledger debit and nothing else are
recorded in one transaction (R14). On the carrier's side it is the outbound label turned
around: the Rate's From is the buyer (the address the order was delivered to) and its To the
store's location, checked with CleanseAddress (R37); ``PrintLayout`` "Return" and
``ReturnLabelExpirationDays`` make it a return label (carriers.stamps.types.ReturnLabel).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import User

from carriers.models import CarrierAccount
from carriers.services import AccountNotUsable, require_usable
from carriers.stamps import calllog, errors
from carriers.stamps.accounts import call
from carriers.stamps.types import Address, ReturnLabel
from funding.purchases import open_book
from locations.models import ShipFromLocation
from merchants.errors import Fix
from merchants.permissions import Perm, require
from orders.addresses import carrier_ship_to
from orders.catalog import Service
from shipments import rating
from shipments.labels import (
    LabelError,
    LabelPending,
    _funds_error,
    order_today,
    reserve,
    send_purchase,
)
from shipments.models import Shipment

# Domestic services USPS carries return labels on (the sandbox's list; see its README),
# named as the catalog names them everywhere else.
RETURN_SERVICES = {
    str(code): Service(code).label
    for code in (Service.GROUND_ADVANTAGE, Service.PRIORITY, Service.EXPRESS)
}
EXPIRY_DAYS = (7, 14, 30, 60, 90)
DEFAULT_EXPIRY_DAYS = 30


def refused_reason(outbound: Shipment) -> str:
    """Why no return label can be made for ``outbound``, or ""."""
    if outbound.is_return:
        return "This is a return label already."
    if outbound.status != Shipment.Status.BOUGHT:
        return "Return labels are made for created labels only."
    if outbound.to_country != "US" or outbound.order.is_military:
        return (
            "Return labels carry parcels between US addresses only; this order went abroad "
            "or to a military address. Ask the buyer to ship it back with their own postage."
        )
    return ""


def live_return(outbound: Shipment) -> Shipment | None:
    """The return label in flight, bought or being voided for ``outbound``."""
    return (
        Shipment.objects.filter(return_of=outbound, status__in=Shipment.LIVE)
        .select_related("account", "order", "return_to")
        .first()
    )


def default_service(outbound: Shipment) -> str:
    return outbound.service if outbound.service in RETURN_SERVICES else "US-GA"


def buyer_address(outbound: Shipment) -> Address:
    """The sender of a return: where the order was delivered (the carrier's corrected
    address once checked), without the hashes that only a To address carries."""
    return dataclasses.replace(carrier_ship_to(outbound.order), cleanse_hash="", override_hash="")


def store_address(account: CarrierAccount, location: ShipFromLocation) -> Address:
    """The location as Stamps.com standardises it, with the CleanseHash the To of any label
    needs (R37). One carrier call; an address it can't verify stops the purchase."""
    typed = rating.from_address(location)
    try:
        answer = call(account, lambda c: c.cleanse_address(typed, from_zip=typed.zip_code))
    except errors.StampsError as exc:
        raise LabelPending(
            f"Stamps.com could not check the return address: {exc.merchant_message}"
        ) from exc
    if not answer.address_match or not answer.address.cleanse_hash:
        raise LabelError(
            f"Stamps.com could not verify the address of “{location.name}”, so no return label "
            "was bought. Correct the location's address, then try again.",
            fix=Fix("locations:edit", (location.pk,), f"Edit {location.name}"),
        )
    return dataclasses.replace(
        answer.address,
        full_name=typed.full_name,
        company=typed.company,
        phone=typed.phone,
        override_hash="",
    )


def return_query(
    outbound: Shipment, to: Address, ship_date: dt.date | None = None
) -> rating.RateQuery:
    """The outbound parcel turned around: same package, from the buyer to the store."""
    buyer = buyer_address(outbound)
    return rating.RateQuery(
        from_zip=buyer.zip_code,
        to=to,
        weight_oz=outbound.weight_oz,
        package_type=outbound.package_type,
        length=outbound.length_in,
        width=outbound.width_in,
        height=outbound.height_in,
        ship_date=ship_date,
    )


def quotes(outbound: Shipment, location: ShipFromLocation) -> rating.RateShop:
    """What each return service costs (for the form); an error is shown, never raised."""
    account = outbound.account
    try:
        to = store_address(account, location)
    except LabelError as exc:
        return rating.RateShop(account=account, error=exc.message)
    shop = rating.rate_shop(account, return_query(outbound, to, order_today(outbound.order)))
    shop.quotes = [q for q in shop.quotes if q.service in RETURN_SERVICES]
    shop.notes = []
    return shop


def _check_request(outbound: Shipment, location: ShipFromLocation, service: str, days: int):
    if location.merchant_id != outbound.merchant_id:
        raise LabelError("That location belongs to another store.")
    if location.country != "US":
        raise LabelError("Return labels can only go to a US location.")
    if service not in RETURN_SERVICES:
        raise LabelError(
            "Choose USPS Ground Advantage, Priority Mail or Priority Mail Express for a return "
            "label."
        )
    if days not in EXPIRY_DAYS:
        raise LabelError(
            "Choose how long the return label stays valid: "
            + ", ".join(str(d) for d in EXPIRY_DAYS)
            + " days."
        )


def buy_return_label(
    outbound: Shipment,
    *,
    location: ShipFromLocation,
    service: str,
    days: int = DEFAULT_EXPIRY_DAYS,
    by: User | None = None,
) -> Shipment:
    """Buy a prepaid return label for ``outbound`` to ``location`` (R46), on the account the
    outbound label was bought on. A purchase started and never recorded is finished with its
    own IntegratorTxID, service, location and expiry, whatever was asked now (R28).

    As for an outbound label, the purchase's carrier calls (CleanseAddress, CreateIndicium)
    are logged together by its follow-up job (``labels.after_purchase``), or at the end when
    it stops short."""
    with calllog.deferred():
        return _buy_return(outbound, location=location, service=service, days=days, by=by)


def _buy_return(
    outbound: Shipment, *, location: ShipFromLocation, service: str, days: int, by: User | None
) -> Shipment:
    order = outbound.order
    require(by, order.merchant if by else None, Perm.BUY_LABELS)
    reason = refused_reason(outbound)
    if reason:
        raise LabelError(reason)
    account = outbound.account
    try:
        require_usable(account)  # R3
    except AccountNotUsable as exc:
        raise LabelError(exc.message, fix=exc.fix) from exc
    live = live_return(outbound)
    if live is not None and live.status != Shipment.Status.BUYING:
        raise LabelError(
            f"Order {order.number} already has a return label "
            f"({live.tracking_number or live.service}). Void it first to make another.",
            fix=Fix("shipments:detail", (live.pk,), "Open the return label"),
        )
    if live is not None:
        shipment = live
        assert live.return_to is not None and live.return_expires_on is not None
        location, service = live.return_to, live.service
        days = (live.return_expires_on - live.ship_date).days
        ship_date = live.ship_date
    else:
        _check_request(outbound, location, service, days)
        ship_date = order_today(order)
    open_book(account, LabelError, what="label")  # R14
    to = store_address(account, location)
    try:
        quote = rating.rate_for_service(account, return_query(outbound, to, ship_date), service)
    except errors.StampsError as exc:
        if live is not None:
            raise LabelPending(
                "Stamps.com did not answer about the return label being bought. Try again: "
                "ShipDesk finishes the same purchase and never buys twice."
            ) from exc
        raise LabelError(exc.merchant_message) from exc
    except ValueError as exc:
        raise LabelError(str(exc)) from exc
    if live is None:
        balance = CarrierAccount.objects.values_list("balance", flat=True).get(pk=account.pk)
        account.balance = balance
        if quote.total > balance:
            raise _funds_error(account, quote.total)
        shipment = reserve(
            order,
            account,
            quote,
            ship_date,
            parcel=outbound,
            to_name=location.contact_name,
            to_country="US",
            by=by,
            return_of=outbound,
            return_to=location,
            return_days=days,
        )
    return send_purchase(
        shipment,
        quote.rate,
        from_address=buyer_address(outbound),
        to_address=to,
        return_label=ReturnLabel(expiration_days=days),
    )


def resume(shipment: Shipment) -> Shipment:
    """Finish a return label left ``buying`` (the sweep job)."""
    assert shipment.return_of is not None and shipment.return_to is not None
    return buy_return_label(
        shipment.return_of, location=shipment.return_to, service=shipment.service
    )


def cost_of(shop: rating.RateShop) -> dict[str, Decimal]:
    return {q.service: q.total for q in shop.quotes}
