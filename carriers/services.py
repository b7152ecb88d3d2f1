"""Carrier accounts: connect, register, verify, keep healthy (R1-R9).

Views call these functions; they raise ``CarrierAccountError`` (a ``MerchantError``) or a
Stamps.com error from ``carriers.stamps.errors``, with a message written for the merchant.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from carriers import verification
from carriers.models import CarrierAccount
from carriers.signals import account_connected
from carriers.stamps import accounts as stamps
from carriers.stamps.errors import SECURITY_SUPPORT_PHONE, STAMPS_SUPPORT_PHONE
from merchants import events
from merchants.errors import Fix, MerchantError
from merchants.ids import parse_id
from merchants.models import Merchant

log = logging.getLogger(__name__)


# Where the merchant fixes an account that cannot ship (verify, new password, reconnect).
ACCOUNTS_FIX = Fix("carriers:list", (), "Your carrier accounts")


class CarrierAccountError(MerchantError):
    pass


class AccountNotUsable(CarrierAccountError):
    """R3/R7/R8: the account cannot add funds or buy labels until the merchant acts."""

    def __init__(self, account: CarrierAccount):
        self.account = account
        super().__init__(unusable_reason(account), fix=ACCOUNTS_FIX)


class ChosenAccountGone(CarrierAccountError):
    """The merchant named an account that is not one of the store's connected accounts:
    disconnected since their page showed it, or an id that was never the store's. Both read
    the same, so nothing says whether another store's account exists."""

    MESSAGE = (
        "The Stamps.com account you chose is no longer connected. "
        "Choose another account and try again."
    )

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)


def chosen_account(accounts: Iterable[CarrierAccount], wanted: object) -> CarrierAccount | None:
    """The account the merchant chose to pay with: ``wanted`` (an id as a form sent it) among
    ``accounts`` (the store's connected accounts, default first). A named account that is not
    among them raises ``ChosenAccountGone``, never falls back: the merchant chose who pays.
    Only when no account was named (``None`` or blank): the default if it can ship, else the
    first that can, else the first (its own service refuses it, saying why), else None."""
    accounts = list(accounts)
    if wanted is not None and str(wanted).strip():
        wanted_id = parse_id(wanted)
        found = next((a for a in accounts if wanted_id is not None and a.pk == wanted_id), None)
        if found is None:
            raise ChosenAccountGone()
        return found
    usable = [a for a in accounts if a.is_usable]
    return next((a for a in usable if a.is_default), None) or next(iter(usable or accounts), None)


def carrier_page_fix(account: CarrierAccount, url_type: str, text: str) -> Fix:
    """R9: a link to one of the carrier's own pages. ShipDesk asks Stamps.com for the page
    (GetURL) only when the merchant clicks, so the link on the page never expires."""
    return Fix("carriers:open-carrier-page", (account.pk, url_type), text, new_tab=True)


def unusable_reason(account: CarrierAccount) -> str:
    status = CarrierAccount.Status
    if account.status == status.AWAITING_VERIFICATION:
        return (
            f"“{account.nickname}” hasn't finished 2-step verification, so it can't add funds "
            "or create labels yet. Finish verification with the code we text to your phone. "
            f"Trouble verifying? Call Stamps.com Security Support at {SECURITY_SUPPORT_PHONE}."
        )
    if account.status == status.NEEDS_REAUTH:
        return (
            f"Stamps.com no longer accepts the password saved for “{account.nickname}” "
            "(it was probably changed at Stamps.com). Update the password to keep shipping; "
            f"your history is kept. Stamps.com support: {STAMPS_SUPPORT_PHONE}."
        )
    if account.status == status.CLOSED:
        return (
            f"Stamps.com says “{account.nickname}” is set to a closed plan: the account was "
            "closed or removed from the Pro plan. Reconnect it after reopening it at "
            "Stamps.com, or choose another carrier account."
        )
    if account.status == status.DISCONNECTED:
        return f"“{account.nickname}” was disconnected from ShipDesk."
    return ""


def require_usable(account: CarrierAccount) -> None:
    """R3: enforced here, in the services, whatever the page showed."""
    if not account.is_usable:
        raise AccountNotUsable(account)


def _first_account(merchant: Merchant) -> bool:
    return not CarrierAccount.objects.for_merchant(merchant).connected().exists()


def has_free_account(merchant: Merchant) -> bool:
    return CarrierAccount.objects.for_merchant(merchant).free().exists()


def status_from_carrier(account_status: str) -> str:
    """R42: an account Stamps.com still holds for phone verification is not active here."""
    if "verif" in account_status.lower():  # PendingVerification (the live spelling is unknown)
        return CarrierAccount.Status.AWAITING_VERIFICATION
    return CarrierAccount.Status.ACTIVE


def connect_existing(
    merchant: Merchant, *, username: str, password: str, nickname: str, by=None
) -> CarrierAccount:
    """R1: authenticate at Stamps.com first; save only on success. ``by``: who connected it."""
    info = stamps.check_credentials(username, password, merchant=merchant)
    with transaction.atomic():
        account = CarrierAccount.objects.create(
            merchant=merchant,
            nickname=nickname,
            username=username,
            password=password,
            status=status_from_carrier(info.account_status),
            plan=CarrierAccount.Plan.PERSONAL,
            is_default=_first_account(merchant),
            balance=info.balance,
            control_total=info.control_total,
            max_balance=info.max_balance,
            balance_synced_at=timezone.now(),
            carrier_account_id=str(info.account_id or ""),
            connected_by=by,
        )
        _connected(account, by, "existing account")
        # The ledger starts from what the carrier holds today (R14): funding listens.
        account_connected.send(sender=CarrierAccount, account=account)
    return account


def _connected(account: CarrierAccount, by, how: str) -> None:
    events.record(
        account.merchant,
        by,
        events.Action.CARRIER_CONNECTED,
        subject=f"{account.nickname} ({account.username})",
        detail=how,
    )


def register_new(merchant: Merchant, data: dict, by=None) -> CarrierAccount:
    """R2: create the free (Pro plan) account at Stamps.com; the card goes to the carrier only."""
    from carriers.forms import card_brand

    if has_free_account(merchant):
        raise CarrierAccountError("Your store already has its free Stamps.com account.")
    registration = stamps.register_account(
        {**data, "card_brand": card_brand(data["card_number"])}, merchant=merchant
    )
    try:
        with transaction.atomic():
            account = CarrierAccount.objects.create(
                merchant=merchant,
                nickname=data["nickname"],
                username=data["username"],
                password=data["password"],
                status=CarrierAccount.Status.AWAITING_VERIFICATION,
                plan=CarrierAccount.Plan.PRO_FREE,
                created_through_shipdesk=True,
                is_default=_first_account(merchant),
                card_brand=card_brand(data["card_number"]),
                card_last4=data["card_number"][-4:],
                carrier_account_id=str(registration.user_id or ""),
                connected_by=by,
            )
            _connected(account, by, "new free account")
            return account
    except IntegrityError as exc:  # a concurrent request won the race for R6
        raise CarrierAccountError("Your store already has its free Stamps.com account.") from exc


def send_verification_code(account: CarrierAccount, phone: str):
    if account.status != CarrierAccount.Status.AWAITING_VERIFICATION:
        raise CarrierAccountError("This account is already verified.")
    return verification.send_code(account, phone)


def verify_account(account: CarrierAccount, code: str) -> None:
    """R2/R4: check the code, then make sure Stamps.com sees the account as verified."""
    if account.status != CarrierAccount.Status.AWAITING_VERIFICATION:
        return
    verification.check_code(account, code)
    latest = verification.current_verification(account)
    if latest is None:  # check_code passed, so there is one; said for the type checker
        raise CarrierAccountError("Send a verification code first.")
    # ShipDesk checked the code itself unless the carrier back-end did: then tell Stamps.com,
    # as a verification partner, which phone it verified (R42). A carrier-checked code was
    # already finished there.
    if latest.backend != "carrier" and not _finish_as_partner(account, latest.phone_number):
        raise CarrierAccountError(
            "Stamps.com did not accept the verification. Send a new code and try again, "
            f"or call Stamps.com Security Support at {SECURITY_SUPPORT_PHONE}."
        )
    with transaction.atomic():
        CarrierAccount.objects.filter(pk=account.pk).update(
            status=CarrierAccount.Status.ACTIVE, verified_at=timezone.now(), status_reason=""
        )
    account.refresh_from_db()


def _finish_as_partner(account: CarrierAccount, e164: str) -> bool:
    return stamps.finish_account_verification(
        account,
        settings.STAMPS_PARTNER_VERIFICATION_CODE,
        partner_phone=verification.parse_phone(e164).digits10,
    )


def update_password(account: CarrierAccount, password: str) -> None:
    """R7: check the new password at Stamps.com, keep everything else."""
    stamps.check_credentials(account.username, password, merchant=account.merchant)
    account.password = password
    if account.status == CarrierAccount.Status.NEEDS_REAUTH:
        account.status = CarrierAccount.Status.ACTIVE
        account.status_reason = ""
    account.save(update_fields=["password", "status", "status_reason"])


def carrier_page_url(account: CarrierAccount, url_type: str) -> str:
    """R9: Account Settings and Reports open the carrier's own pages."""
    if url_type not in {"AccountSettingsPage", "OnlineReportsPage"}:
        raise CarrierAccountError("That Stamps.com page isn't available.")
    return stamps.get_url(account, url_type)


@transaction.atomic
def make_default(account: CarrierAccount) -> None:
    CarrierAccount.objects.for_merchant(account.merchant).filter(is_default=True).update(
        is_default=False
    )
    CarrierAccount.objects.filter(pk=account.pk).update(is_default=True)


@transaction.atomic
def disconnect(account: CarrierAccount, by=None, *, why: str = "") -> None:
    """Kept for history (labels, ledger), no longer usable; the password is dropped.
    ``by``: who disconnected it (None: ShipDesk, e.g. deleting the store, said in ``why``)."""
    account.status = CarrierAccount.Status.DISCONNECTED
    account.disconnected_at = timezone.now()
    account.disconnected_by = by
    account.is_default = False
    account.password = ""
    account.save(
        update_fields=["status", "disconnected_at", "disconnected_by", "is_default", "password"]
    )
    events.record(
        account.merchant,
        by,
        events.Action.CARRIER_DISCONNECTED,
        subject=f"{account.nickname} ({account.username})",
        detail=why,
    )
