"""The one shape of a failure the merchant sees: a message in their words and, when there is
something to do about it, one link (a ``Fix``) to the page where they do it.

Services raise these; views show them through ``templates/partials/merchant_error.html``. A
``Fix`` holds a URL *name* and its arguments, resolved only when the page is rendered, so
services never call ``reverse()`` and stay callable from jobs and commands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.urls import resolve, reverse

from merchants.tenancy import PERM_ATTR


@dataclass(frozen=True)
class Fix:
    """A link to the page that fixes the problem, e.g. ``Fix("funding:home", (), "Add funds")``."""

    url_name: str
    args: Sequence[object] = field(default_factory=tuple)
    text: str = ""
    # Pages of the carrier's own site open beside ShipDesk, so the merchant keeps their place.
    new_tab: bool = False

    @property
    def url(self) -> str:
        return reverse(self.url_name, args=list(self.args))

    @property
    def needs(self) -> str | None:
        """The permission its page asks of a reader (``merchant_view``), so the link is
        offered only to a role that may open it; None for a page anyone signed in may open."""
        declared = getattr(resolve(self.url).func, PERM_ATTR, None)
        return declared[0] if declared else None


class MerchantError(Exception):
    """Something ShipDesk refused or could not do; ``message`` says why and what to do."""

    def __init__(self, message: str, *, fix: Fix | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
