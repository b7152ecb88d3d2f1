"""What SCAN forms and pickups share: the error they raise and the account check before any
carrier call."""

from __future__ import annotations

from carriers.models import CarrierAccount
from carriers.services import AccountNotUsable, require_usable
from merchants.errors import MerchantError


class EndOfDayError(MerchantError):
    """A SCAN form or pickup was refused; ``message`` says why and what to do."""


def ensure_usable(account: CarrierAccount) -> None:
    try:
        require_usable(account)  # R3
    except AccountNotUsable as exc:
        raise EndOfDayError(exc.message, fix=exc.fix) from exc
