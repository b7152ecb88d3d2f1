"""What each role of a store may do: the one table every view and service consults.

A view declares the permission it needs with ``merchant_view(Perm.X)`` (``read=`` for safe
methods when looking is itself restricted); services that move money or buy labels call
``require`` with the acting user too, so a job or another view cannot skip the check.
"""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from merchants.models import Membership

Role = Membership.Role


class Perm(StrEnum):
    VIEW = "store.view"  # read orders, shipments, batches, SCAN forms, pickups
    ORDERS = "orders.manage"  # create, import, edit packages, re-apply rules, rate calculator
    BUY_LABELS = "labels.buy"  # buy one label or a batch
    LABELS = "labels.manage"  # print, void, SCAN forms, pickups
    RULES = "rules.manage"  # automation rules
    SETTINGS = "settings.manage"  # locations, label and end-of-day settings, API key
    CARRIERS_VIEW = "carriers.view"  # see carrier accounts (never their passwords)
    CONNECT_CARRIER = "carriers.connect"  # connect a new Stamps.com account
    CARRIERS = "carriers.manage"  # verify, update password, default, disconnect
    FUNDS_VIEW = "funds.view"  # balances, ledger, statements
    ADD_FUNDS = "funds.add"
    AUTO_FUNDING = "funds.auto"
    MEMBERS = "members.manage"  # invite, resend, revoke, remove (never the owner)
    OWN = "store.own"  # company details, transfer ownership, billing


_SHIPPING = {Perm.VIEW, Perm.ORDERS, Perm.BUY_LABELS, Perm.LABELS}
_READ_ONLY = {Perm.VIEW, Perm.CARRIERS_VIEW, Perm.FUNDS_VIEW}

ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.OWNER: frozenset(Perm),
    Role.ADMIN: frozenset(set(Perm) - {Perm.OWN}),
    Role.SHIPPER: frozenset(_SHIPPING),
    Role.VIEWER: frozenset(_READ_ONLY),
}

# Spending money or claiming a carrier account waits for a confirmed e-mail, so nobody can
# squat an address they do not read (issue 13).
NEEDS_CONFIRMED_EMAIL = frozenset(
    {Perm.CONNECT_CARRIER, Perm.ADD_FUNDS, Perm.AUTO_FUNDING, Perm.BUY_LABELS}
)

ROLE_HELP: dict[Role, str] = {
    Role.OWNER: "Everything, including company details and ownership.",
    Role.ADMIN: "Settings, carrier accounts, funds, rules and members (not the owner).",
    Role.SHIPPER: "Orders, rates, labels, batches, voids and end of day. No funds or settings.",
    Role.VIEWER: "Read only.",
}


class NotAllowed(Exception):
    """The acting person may not do this in this store: a 403 with the reason."""

    def __init__(self, message: str, *, needs_confirmation: bool = False):
        super().__init__(message)
        self.message = message
        self.needs_confirmation = needs_confirmation


def role_allows(role: str | None, perm: Perm) -> bool:
    return role is not None and perm in ROLE_PERMISSIONS.get(Role(role), frozenset())


def role_of(user: AbstractBaseUser | AnonymousUser, merchant) -> str | None:
    if not user.is_authenticated or merchant is None:
        return None
    return merchant.memberships.filter(user=user).values_list("role", flat=True).first()


def _read_for(user, merchant) -> bool:
    """Whether ``merchant`` carries ``user``'s membership as tenancy read it for a request."""
    return (
        user.is_authenticated
        and merchant is not None
        and getattr(merchant, "member_user_id", None) == user.pk
        and getattr(merchant, "member_role", None) is not None
    )


def check(
    user, merchant, perm: Perm, *, role: str | None = None, confirmed: bool | None = None
) -> None:
    """Raise NotAllowed unless ``user`` may use ``perm`` in ``merchant``.

    ``role`` and ``confirmed`` may be passed when the caller already read them (the view
    decorator does, with the merchant)."""
    from merchants.confirmation import is_confirmed

    if role is None and _read_for(user, merchant):
        # The request's merchant, read with this member's role and confirmed e-mail
        # (merchants.tenancy.resolve_merchant): a service checking again costs no query.
        role = merchant.member_role
        if confirmed is None:
            known = merchant.member_confirmed_email or ""
            confirmed = bool(user.email) and known.lower() == user.email.lower()
    role = role if role is not None else role_of(user, merchant)
    if not role_allows(role, perm):
        raise NotAllowed(
            f"Your role in {merchant} ({role or 'none'}) doesn't allow this. "
            "Ask the store's owner or an admin."
        )
    if confirmed is None and perm in NEEDS_CONFIRMED_EMAIL:
        confirmed = is_confirmed(user)
    if perm in NEEDS_CONFIRMED_EMAIL and not confirmed:
        raise NotAllowed(
            f"Confirm your e-mail address ({user.email}) first: open the link we sent you.",
            needs_confirmation=True,
        )


def require(user, merchant, perm: Perm) -> None:
    """Service-side guard. ``user=None`` means ShipDesk itself (a job or automation acting on
    a rule the store set up), which the view that set it up already checked."""
    if user is not None:
        check(user, merchant, perm)
