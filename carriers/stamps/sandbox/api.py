"""The sandbox's Python API for tests and the ``stamps_sandbox`` command.

This is a contract: client tests set up carrier-side state and failures with exactly these
functions, then talk to the sandbox over HTTP like ShipDesk talks to Stamps.com.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from . import state
from .models import (
    Account,
    Authenticator,
    Config,
    Fault,
    Indicium,
    Manifest,
    Pickup,
    Purchase,
    VerificationCode,
)

FAULT_KINDS = ("delay", "timeout", "http500", "drop_after_commit", "soap_fault", "out_of_sync")


def reset() -> None:
    """Forget every account, label, purchase, fault and setting."""
    state.forget_in_flight()
    with transaction.atomic():
        for model in (
            Fault,
            Pickup,
            Indicium,
            Manifest,
            Purchase,
            VerificationCode,
            Authenticator,
            Account,
            Config,
        ):
            model.objects.all().delete()


def create_account(
    username: str,
    password: str,
    *,
    balance: Decimal = Decimal("0"),
    status: str = "active",
    plan: str = "pro",
    auto_buy: dict | None = None,
    card_declined: bool = False,
    email: str = "",
    address: dict | None = None,
) -> Account:
    """A carrier account. ``auto_buy``: {"enabled", "purchase_amount", "trigger_amount"}."""
    if status not in dict(Account.STATUSES):
        raise ValueError(f"status must be one of {list(dict(Account.STATUSES))}")
    if plan not in dict(Account.PLANS):
        raise ValueError(f"plan must be one of {list(dict(Account.PLANS))}")
    auto_buy = auto_buy or {}
    account = Account(
        username=username,
        status=status,
        plan=plan,
        balance=Decimal(balance),
        card_declined=card_declined,
        email=email or f"{username}@example.test",
        address=address
        or {
            "FullName": "Sandbox Shipper",
            "Address1": "1990 E Grand Ave",
            "City": "El Segundo",
            "State": "CA",
            "ZIPCode": "90245",
            "Country": "US",
        },
        auto_buy_enabled=bool(auto_buy.get("enabled", bool(auto_buy))),
        auto_buy_amount=Decimal(str(auto_buy.get("purchase_amount", "0"))),
        auto_buy_trigger=Decimal(str(auto_buy.get("trigger_amount", "0"))),
        created_at=state.now(),
    )
    account.set_password(password)
    account.save()
    return account


def get_account(username: str) -> Account:
    return Account.objects.get(username__iexact=username)


def change_password(username: str, new_password: str) -> None:
    """As if the owner changed the password at Stamps.com: old sessions end too (R7)."""
    account = get_account(username)
    account.set_password(new_password)
    account.save(update_fields=["password_hash"])
    account.authenticators.update(expires_at=state.now() - dt.timedelta(seconds=1))


def close_account(username: str) -> None:
    """Every later call answers "Account is set to a closed plan" (R8)."""
    Account.objects.filter(username__iexact=username).update(status=Account.CLOSED)


def verify_account(username: str) -> None:
    Account.objects.filter(username__iexact=username).update(status=Account.ACTIVE)


def set_fault(
    operation: str, kind: str, *, delay: float = 0.0, times: int = 1, message: str = ""
) -> None:
    """Fail the next ``times`` calls of ``operation`` (``times=0``: every call until cleared).

    ``delay``: sleep, then answer normally. ``timeout``: sleep ``delay`` seconds (default
    STAMPS_TIMEOUT + 1), then answer 504 without doing the work. ``http500``: answer 500
    with a plain-text body, nothing done. ``drop_after_commit``: do and commit the work, then
    answer 500 with a plain-text body, so the client cannot know it succeeded.
    ``soap_fault``: a soap:Fault whose faultstring is ``message``. ``out_of_sync``: the
    conversation fault 0x002b0204 (R38), before any work, as a superseded Authenticator gets.
    ``operation="WSDL"`` fails fetching the WSDL (``timeout``, ``delay``; any other kind
    answers 500).
    """
    from .views import HANDLERS, WSDL

    if kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {FAULT_KINDS}")
    if operation not in HANDLERS and operation != WSDL:
        raise ValueError(f"unknown operation {operation!r}")
    Fault.objects.create(
        operation=operation,
        kind=kind,
        delay=delay,
        remaining=times if times and times > 0 else None,
        message=message,
    )


def peak_in_flight(username: str) -> int:
    """The most requests of ``username``'s that were ever being answered at once (since the
    last ``reset``): what Stamps.com would see of ShipDesk's concurrency on one account."""
    return state.peak_in_flight(username)


def clear_faults() -> None:
    Fault.objects.all().delete()


def expire_authenticators() -> None:
    """Every Authenticator handed out so far stops working; the next call must re-authenticate."""
    Authenticator.objects.update(expires_at=state.now() - dt.timedelta(seconds=1))


def set_token_ttl(seconds: int) -> None:
    """How long new Authenticators live (default 3600 s)."""
    Config.objects.update_or_create(pk=1, defaults={"token_ttl_seconds": seconds})


def set_clock(moment: dt.datetime | None) -> None:
    """Pin the sandbox's clock (SCAN form cut-off, 28-day voids, pickups); None: real time."""
    Config.objects.update_or_create(pk=1, defaults={"now_override": moment})


def set_pending_settlement(*, calls: int = 2, seconds: int = 5) -> None:
    """A Pending purchase settles after ``calls`` GetAccountInfo calls or ``seconds``."""
    Config.objects.update_or_create(
        pk=1, defaults={"pending_settle_calls": calls, "pending_settle_seconds": seconds}
    )


def set_refund_delay(seconds: int | None) -> None:
    """How long a voided label's refund stays pending before the balance is credited (R41);
    None: settings.STAMPS_SANDBOX_REFUND_DELAY. Move the clock (``set_clock``) to get past it."""
    Config.objects.update_or_create(pk=1, defaults={"refund_delay_seconds": seconds})


def get_balance(username: str) -> Decimal:
    """The balance as of the sandbox clock (refunds and purchases due by now settled)."""
    from .accounts import settle_pending

    with transaction.atomic():
        account = Account.objects.select_for_update().get(username__iexact=username)
        settle_pending(account, state.now(), count_call=False)
        return account.balance


def purchases(username: str) -> list[Purchase]:
    return list(get_account(username).purchases.order_by("pk"))


def indicia(username: str) -> list[Indicium]:
    return list(get_account(username).indicia.order_by("pk"))


def manifests(username: str) -> list[Manifest]:
    return list(get_account(username).manifests.order_by("pk"))


def pickups(username: str) -> list[Pickup]:
    return list(get_account(username).pickups.order_by("pk"))


def last_verification_code(phone: str) -> str | None:
    """The newest code sent to ``phone`` (any format; the last 10 digits are compared)."""
    digits = "".join(ch for ch in phone if ch.isdigit())[-10:]
    code = VerificationCode.objects.filter(phone=digits).order_by("-created_at", "-pk").first()
    return code.code if code else None
