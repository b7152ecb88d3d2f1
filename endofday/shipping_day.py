"""What SCAN forms and pickups share: the error they raise and the account check before any
carrier call."""

from __future__ import annotations

from django.urls import reverse

from carriers.models import CarrierAccount
from carriers.services import AccountNotUsable, require_usable


class EndOfDayError(Exception):
    """A SCAN form or pickup was refused; ``message`` says why and what to do."""

    def __init__(self, message: str, *, link: str = "", link_text: str = ""):
        super().__init__(message)
        self.message = message
        self.link = link
        self.link_text = link_text


def ensure_usable(account: CarrierAccount) -> None:
    try:
        require_usable(account)  # R3
    except AccountNotUsable as exc:
        raise EndOfDayError(
            exc.message, link=reverse("carriers:list"), link_text="Your carrier accounts"
        ) from exc
