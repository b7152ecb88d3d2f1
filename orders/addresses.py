"""The ship-to address check: Stamps.com's CleanseAddress on every order (R37, R37a-R37d).

An order's address is checked once per version of it: ``check_ship_to`` asks the carrier only
when the address fields differ from the ones last checked (a fingerprint on the order), so a
rate refresh or a label purchase with an unchanged address costs no carrier call. The answer
is kept on the order: the carrier's address with its CleanseHash (the label is bought with
exactly that address, R37), the candidates it offered, and a status the merchant sees:
verified, corrected (with what changed), could not be verified (one-click "use as entered",
which buys with the OverrideHash), or needs attention (something is missing, so nothing is
asked).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib

from carriers.models import CarrierAccount
from carriers.stamps import errors
from carriers.stamps.accounts import call
from carriers.stamps.types import Address, CleansedAddress
from locations.regions import region_problem
from merchants.errors import MerchantError
from merchants.ids import parse_id
from orders.models import AddressStatus, Order
from orders.validation import carrier_postal_code

CHECKED_FIELDS = ("street1", "street2", "city", "state", "postal_code", "country")
FIELD_LABELS = {
    "address1": "Street",
    "address2": "Address 2",
    "city": "City",
    "state": "State",
    "zip_code": "ZIP code",
    "zip_addon": "ZIP+4",
}
BUYABLE = {AddressStatus.VERIFIED, AddressStatus.CORRECTED, AddressStatus.OVERRIDDEN}


class AddressNotVerified(MerchantError):
    """R37b: no label is bought for an address the carrier could not verify, unless the
    merchant chose to use it as entered."""


def fingerprint(order: Order) -> str:
    raw = "|".join(" ".join(str(getattr(order, f)).split()).upper() for f in CHECKED_FIELDS)
    return hashlib.sha256(raw.encode()).hexdigest()


def missing_fields(order: Order) -> list[str]:
    """What a carrier needs and the order lacks (R37c), in the merchant's words."""
    needed = [("street1", "street"), ("city", "city")]
    if order.country == "US":
        needed.append(("postal_code", "ZIP code"))  # the carrier derives the state from it
    return [label for name, label in needed if not str(getattr(order, name)).strip()]


def attention(order: Order) -> list[str]:
    """Why the address can't be checked yet (R37c), as sentences for the merchant: what is
    missing, and a US state or Canadian province that is not one."""
    found = []
    missing = missing_fields(order)
    if missing:
        found.append(f"Add the {', '.join(missing)}.")
    if problem := region_problem(order.country, order.state):
        found.append(problem)
    return found


def typed_address(order: Order) -> Address:
    """The ship-to as the merchant (or the store) entered it."""
    domestic = order.country == "US"
    postal = carrier_postal_code(order).strip()  # R19
    return Address(
        full_name=order.recipient_name,
        company=order.company,
        address1=order.street1,
        address2=order.street2,
        city=order.city,
        state=order.state,
        zip_code=postal[:5] if domestic else "",
        postal_code="" if domestic else postal,
        country=order.country,
        phone=order.phone,
        email=order.email,
    )


def import_status(order: Order) -> str:
    """R37c: an imported or re-imported order is flagged when its address is incomplete;
    otherwise it keeps its check while its address is unchanged."""
    if attention(order):
        return AddressStatus.INCOMPLETE
    if is_current(order):
        return order.address_status
    return AddressStatus.UNCHECKED


def is_current(order: Order) -> bool:
    return bool(order.address_checked) and order.address_checked == fingerprint(order)


def status_of(order: Order) -> str:
    """The status for the address as it is now (an edit not yet checked is unchecked)."""
    if attention(order):
        return AddressStatus.INCOMPLETE
    if not is_current(order):
        return AddressStatus.UNCHECKED
    return order.address_status


def _status(order: Order, answer: CleansedAddress) -> str:
    if not answer.address_match:
        return AddressStatus.UNVERIFIED
    return (
        AddressStatus.CORRECTED if _differences(order, answer.address) else (AddressStatus.VERIFIED)
    )


def _norm(value: str) -> str:
    return " ".join(value.split()).upper()


def _differences(order: Order, cleansed: Address) -> list[tuple[str, str, str]]:
    typed = typed_address(order)
    out = []
    for name, label in FIELD_LABELS.items():
        before, after = getattr(typed, name), getattr(cleansed, name)
        if name == "zip_addon":
            continue  # adding the ZIP+4 is not a correction the merchant needs to review
        if _norm(before) != _norm(after):
            out.append((label, before, after))
    return out


def changes(order: Order) -> list[tuple[str, str, str]]:
    """(field, as entered, as corrected) for a corrected address."""
    stored = order.cleansed_address.get("address")
    if not stored or not is_current(order):
        return []
    return _differences(order, Address(**stored))


def candidates(order: Order) -> list[Address]:
    return [Address(**c) for c in order.cleansed_address.get("candidates", [])]


def check_ship_to(order: Order, account: CarrierAccount | None, *, force: bool = False) -> str:
    """Check the ship-to with the carrier unless this version was checked already.

    Returns the status. Raises StampsError when the carrier could not answer; the order is
    then left unchecked, so the next rate view or purchase asks again.
    """
    if attention(order):
        _save(order, AddressStatus.INCOMPLETE, "", {})
        return AddressStatus.INCOMPLETE
    if is_current(order) and order.address_status != AddressStatus.UNCHECKED and not force:
        return order.address_status
    if account is None:
        return AddressStatus.UNCHECKED
    from_zip = order.ship_from.postal_code[:5] if order.ship_from else ""
    answer = call(account, lambda c: c.cleanse_address(typed_address(order), from_zip=from_zip))
    stored = {
        "address": dataclasses.asdict(answer.address),
        "candidates": [dataclasses.asdict(c) for c in answer.candidates],
        "result": answer.result,
        "city_state_zip_ok": answer.city_state_zip_ok,
    }
    status = _status(order, answer)
    _save(order, status, fingerprint(order), stored)
    return status


def check_quietly(order: Order, account: CarrierAccount | None) -> None:
    """After an import or an edit: a carrier hiccup must not stop the save; the rates
    view and the purchase check again."""
    with contextlib.suppress(errors.StampsError):
        check_ship_to(order, account)


def merchant_account(merchant_id: int) -> CarrierAccount | None:
    """The account that checks addresses for a merchant: the default usable one."""
    accounts = CarrierAccount.objects.connected().filter(merchant_id=merchant_id)
    return next((a for a in accounts if a.is_usable), None)


def check_unchecked(merchant_id: int, limit: int = 500) -> int:
    """R37a: after an import, check each open order whose address is not checked yet (one
    carrier call each). Returns how many were asked about."""
    account = merchant_account(merchant_id)
    if account is None:
        return 0
    open_statuses = (Order.Status.AWAITING_SHIPMENT, Order.Status.ON_HOLD)
    pending = Order.objects.filter(
        merchant_id=merchant_id, status__in=open_statuses, address_status=AddressStatus.UNCHECKED
    ).select_related("ship_from")[:limit]
    asked = 0
    for order in pending:
        if not is_current(order):
            asked += 1
        check_quietly(order, account)
    return asked


def _save(order: Order, status: str, checked: str, stored: dict) -> None:
    order.address_status, order.address_checked, order.cleansed_address = status, checked, stored
    Order.objects.filter(pk=order.pk).update(
        address_status=status, address_checked=checked, cleansed_address=stored
    )


def use_as_entered(order: Order) -> None:
    """The merchant's one-click override of an address the carrier could not verify."""
    if status_of(order) != AddressStatus.UNVERIFIED:
        raise AddressNotVerified("Only an address Stamps.com could not verify can be overridden.")
    _save(order, AddressStatus.OVERRIDDEN, order.address_checked, order.cleansed_address)


def use_candidate(order: Order, index: str) -> None:
    """The merchant picked one of the carrier's candidates: it becomes the order's address,
    already verified (the candidate carries its own CleanseHash)."""
    options = order.cleansed_address.get("candidates", [])
    number = parse_id(index)
    if number is None or number >= len(options) or not is_current(order):
        raise AddressNotVerified("That suggestion is no longer offered: check the address again.")
    chosen = options[number]
    order.street1, order.city = chosen["address1"], chosen["city"]
    order.state, order.postal_code = chosen["state"], chosen["zip_code"]
    order.save(update_fields=["street1", "city", "state", "postal_code", "updated_at"])
    _save(order, AddressStatus.VERIFIED, fingerprint(order), {"address": chosen})


def carrier_ship_to(order: Order) -> Address:
    """The To address to rate and buy with: the carrier's, with its hash, when checked."""
    typed = typed_address(order)
    stored = order.cleansed_address.get("address")
    status = status_of(order)
    if not stored or status not in BUYABLE:
        return typed
    cleansed = Address(**stored)
    keep = {"full_name": typed.full_name, "company": typed.company, "phone": typed.phone}
    keep["email"] = typed.email
    if status == AddressStatus.OVERRIDDEN:
        return dataclasses.replace(cleansed, cleanse_hash="", **keep)
    return dataclasses.replace(cleansed, override_hash="", **keep)


def require_buyable(order: Order, account: CarrierAccount) -> Address:
    """R37b: the address a label may be bought for, checked first if it changed."""
    try:
        status = check_ship_to(order, account)
    except errors.StampsError as exc:
        raise AddressNotVerified(
            f"Stamps.com could not check order {order.number}'s address: {exc.merchant_message}"
        ) from exc
    if status == AddressStatus.INCOMPLETE:
        raise AddressNotVerified(
            f"Order {order.number}'s address needs attention: {' '.join(attention(order))}"
        )
    if status not in BUYABLE:
        raise AddressNotVerified(
            f"Stamps.com could not verify order {order.number}'s address. Correct it, or "
            "choose “Use as entered” on the order if you know it is deliverable."
        )
    return carrier_ship_to(order)
