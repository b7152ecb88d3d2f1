"""Stamps.com calls for a saved CarrierAccount, keeping the account's health up to date.

Any call refused for a wrong password ("The username or password entered is not correct",
formerly "Authentication Failed") marks the account as needing re-authentication (R7);
"Account is set to a closed plan" marks it closed (R8). Features
(funds, labels, end of day) call the carrier through ``call`` so they all get this.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate

from carriers.models import CarrierAccount
from carriers.stamps import errors
from carriers.stamps.client import StampsClient, client_for, get_client
from carriers.stamps.types import AccountInfo, Address, CreditCard, Registration
from merchants.models import Merchant


def record_health(account: CarrierAccount, exc: errors.StampsError) -> None:
    new_status = None
    if isinstance(exc, errors.AuthenticationFailed):
        new_status = CarrierAccount.Status.NEEDS_REAUTH
    elif isinstance(exc, errors.ClosedPlan):
        new_status = CarrierAccount.Status.CLOSED
    elif isinstance(exc, errors.AccountNotVerified):
        # R42: Stamps.com still waits for phone verification: the merchant is led to it.
        new_status = CarrierAccount.Status.AWAITING_VERIFICATION
    if new_status and account.status != new_status:
        CarrierAccount.objects.filter(pk=account.pk).update(
            status=new_status, status_reason=exc.fault_text
        )
        account.status = new_status
        account.status_reason = exc.fault_text


def call[T, **P](
    account: CarrierAccount,
    operation: Callable[Concatenate[StampsClient, P], T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """Run ``operation(client, *args, **kwargs)`` for ``account``, recording R7/R8 faults."""
    try:
        return operation(client_for(account), *args, **kwargs)
    except errors.StampsError as exc:
        record_health(account, exc)
        raise


def check_credentials(
    username: str, password: str, *, merchant: Merchant | None = None
) -> AccountInfo:
    """R1: sign in with these credentials and read the account; raises on any failure."""
    client = get_client(username, password)
    client.authenticate()
    return client.get_account_info()


def register_account(data: dict[str, Any], *, merchant: Merchant | None = None) -> Registration:
    address = Address(
        full_name=data["full_name"],
        company=data.get("company", ""),
        address1=data["street1"],
        address2=data.get("street2", ""),
        city=data["city"],
        state=data["state"],
        zip_code=data["zip_code"][:5],
        country="US",
        email=data["email"],
    )
    card = CreditCard(
        card_type=data["card_brand"],
        number=data["card_number"],
        expiration=data["card_expiry"],
        cvn=data["card_cvv"],
        billing_address=Address(zip_code=data["billing_zip"][:5], country="US"),
    )
    return get_client().register_account(
        username=data["username"],
        password=data["password"],
        email=data["email"],
        physical_address=address,
        credit_card=card,
    )


def start_account_verification(account: CarrierAccount, phone_digits: str) -> None:
    call(account, lambda c: c.start_account_verification(phone_digits))


def finish_account_verification(
    account: CarrierAccount, code: str, *, partner_phone: str = ""
) -> bool:
    """True when Stamps.com accepts ``code``; False for a wrong code (R42)."""
    try:
        call(account, lambda c: c.finish_account_verification(code, partner_phone=partner_phone))
    except errors.VerificationFailed:
        return False
    return True


def get_account_info(account: CarrierAccount) -> AccountInfo:
    return call(account, lambda c: c.get_account_info())


def get_url(account: CarrierAccount, url_type: str) -> str:
    return call(account, lambda c: c.get_url(url_type))
