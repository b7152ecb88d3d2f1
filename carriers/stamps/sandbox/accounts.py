"""Operations about the account itself: sign-in, registration, verification, info and funds."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from decimal import Decimal

from django.conf import settings

from carriers.stamps import faults

from . import state
from .models import Account, Purchase, VerificationCode
from .soap import SandboxFault

MIN_PURCHASE = Decimal("10.00")
DECLINED_CARD_NUMBER = "4000000000000002"
DECLINED_AMOUNT = Decimal("40.02")
PENDING_AMOUNT = Decimal("20.01")
DECLINED_REASON = (
    "The credit card on file was declined. Update the payment method in Account Settings "
    "or call Trust and Safety at (866) 634-4708."
)
PLAN_IDS = {Account.PRO: 2810, Account.PERSONAL: 2001}


class Call:
    """One SOAP request: its parsed body, the HTTP request and the sandbox clock."""

    def __init__(self, op: str, data: dict, request) -> None:
        self.op = op
        self.data = data
        self.request = request
        self.now = state.now()
        self._account: Account | None = None

    @property
    def account(self) -> Account:
        if self._account is None:
            self._account = state.authenticate(self.data)
        return self._account

    def locked_account(self) -> Account:
        """The account row, locked for the rest of the transaction (balances change)."""
        self._account = Account.objects.select_for_update().get(pk=self.account.pk)
        return self._account


def authenticate_user(call: Call) -> dict:
    creds = call.data["Credentials"]
    account = state.login(creds.get("Username", ""), creds.get("Password", ""))
    call._account = account
    return {
        "LastLoginTime": call.now,
        "ClearCredential": False,
        "LoginBannerText": "",
        "PasswordExpired": False,
        "CodewordsSet": True,
    }


def register_account(call: Call) -> dict:
    data = call.data
    username = data["UserName"].strip()
    if not username:
        raise SandboxFault("The actual length is less than the MinLength value", "00500000")
    if Account.objects.filter(username__iexact=username).exists():
        return {
            "RegistrationStatus": "Fail",
            "SuggestedUserName": _suggest(username),
            "UserId": 0,
            "PromoUrl": "",
        }
    card = data.get("CreditCard") or {}
    account = Account(
        username=username,
        status=Account.PENDING,
        plan=Account.PRO,
        email=data.get("Email", ""),
        address=data.get("PhysicalAddress") or {},
        card_declined=(card.get("AccountNumber") or "").replace(" ", "") == DECLINED_CARD_NUMBER,
        card_last4=(card.get("AccountNumber") or "4242")[-4:],
        created_at=call.now,
    )
    account.set_password(data["Password"])
    account.save()
    return {
        "RegistrationStatus": "Success",
        "SuggestedUserName": "",
        "UserId": account.pk,
        "PromoUrl": "",
    }


def _suggest(username: str) -> str:
    for n in range(1, 1000):
        candidate = f"{username[:36]}{n}"
        if not Account.objects.filter(username__iexact=candidate).exists():
            return candidate
    return ""


def start_account_verification(call: Call) -> dict:
    account = call.account
    phone = "".join(ch for ch in call.data.get("PhoneNumber") or account.phone if ch.isdigit())
    if len(phone) != 10:
        raise SandboxFault("The actual length is less than the MinLength value", "00500000")
    account.phone = phone
    account.save(update_fields=["phone"])
    VerificationCode.objects.filter(account=account, used=False).update(used=True)
    VerificationCode.objects.create(
        account=account, phone=phone, code=f"{secrets.randbelow(10**6):06d}", created_at=call.now
    )
    return {}


PARTNER_HEADER = "X-SDC-FINISHACCOUNTVERIFICATION-PHONE"


def finish_account_verification(call: Call) -> dict:
    """R42: only a code StartAccountVerification sent, or the partner arrangement: the
    partner's own code (issued by Stamps.com) with the phone it verified in the header."""
    account = call.account
    partner_phone = call.request.headers.get(PARTNER_HEADER, "")
    if partner_phone:
        digits = "".join(ch for ch in partner_phone if ch.isdigit())[-10:]
        given = call.data["PhoneVerificationCode"].strip()
        expected = settings.STAMPS_SANDBOX_PARTNER_CODE
        if len(digits) != 10 or not expected or not hmac.compare_digest(given, expected):
            raise SandboxFault("The verification code is incorrect.", "002b0222")
        account.phone = digits
        account.save(update_fields=["phone"])
        return _activate(account)
    if not VerificationCode.objects.filter(account=account).exists():
        raise state.fault(faults.VERIFICATION_NOT_STARTED)
    code = (
        VerificationCode.objects.filter(account=account, used=False).order_by("-created_at").first()
    )
    if code is None or call.now - code.created_at > dt.timedelta(minutes=10):
        raise SandboxFault("The verification code has expired. Request a new code.", "002b0220")
    if code.attempts >= 5:
        raise SandboxFault(
            "Too many incorrect verification attempts. Request a new code.", "002b0221"
        )
    if call.data["PhoneVerificationCode"].strip() != code.code:
        code.attempts += 1
        code.save(update_fields=["attempts"])
        # The wrong try must be remembered even though the call faults.
        raise CommittedFault("The verification code is incorrect.", "002b0222")
    code.used = True
    code.save(update_fields=["used"])
    return _activate(account)


def _activate(account: Account) -> dict:
    if account.status == Account.PENDING:
        account.status = Account.ACTIVE
        account.save(update_fields=["status"])
    return {}


class CommittedFault(SandboxFault):
    """A fault whose state changes are kept (the dispatcher commits before answering)."""

    commit = True


def settle_pending(account: Account, now: dt.datetime, *, count_call: bool) -> None:
    """What the carrier settles on its own time, as of ``now``: Pending purchases and the
    refunds of voided labels (R41). Lazily, on the next call that reads or moves the balance,
    which no client can tell from settling at the very moment."""
    settle_refunds(account, now)
    for purchase in account.purchases.select_for_update().filter(status=Purchase.PENDING):
        if count_call and purchase.settle_after_calls:
            purchase.settle_after_calls -= 1
        due = purchase.settle_at is not None and now >= purchase.settle_at
        if purchase.settle_after_calls == 0 or due:
            purchase.status = Purchase.SUCCESS
            purchase.settled_at = now
            account.balance += purchase.amount
            account.save(update_fields=["balance"])
        purchase.save()


def settle_refunds(account: Account, now: dt.datetime) -> None:
    due = account.indicia.select_for_update().filter(
        refunded_at__isnull=True, refund_due_at__lte=now
    )
    refunded = False
    for indicium in due.order_by("refund_due_at", "pk"):
        indicium.refunded_at = now
        indicium.save(update_fields=["refunded_at"])
        account.balance += indicium.total
        account.control_total -= indicium.total
        refunded = True
    if refunded:
        account.save(update_fields=["balance", "control_total"])


def refund_delay() -> dt.timedelta:
    seconds = state.config().refund_delay_seconds
    if seconds is None:
        seconds = settings.STAMPS_SANDBOX_REFUND_DELAY
    return dt.timedelta(seconds=seconds)


def balance_of(account: Account) -> dict:
    return {"AvailablePostage": account.balance, "ControlTotal": account.control_total}


def get_account_info(call: Call) -> dict:
    account = call.locked_account()
    settle_pending(account, call.now, count_call=True)
    address = account.address or {}
    return {
        "AccountInfo": {
            "CustomerID": account.pk,
            "MeterNumber": 4000000 + account.pk,
            "UserID": account.pk,
            "PostageBalance": balance_of(account),
            "MaxPostageBalance": account.max_balance,
            "LPOCity": (address.get("City") or "")[:29],
            "LPOState": (address.get("State") or "")[:3],
            "LPOZip": (address.get("ZIPCode") or "")[:6],
            "CorpID": 0,
            "StoreID": "",
            "CostCodeLimit": 0,
            "MonthlyPostagePurchaseLimit": 0,
            "MaxUsers": 1,
            "Capabilities": _capabilities(account),
            "MeterPhysicalAddress": address,
            "ResubmitStatus": "NOT_IN_RESUBMISSION",
            "PlanID": PLAN_IDS[account.plan],
            "Username": account.username,
            "RatesetType": "CBP" if account.plan == Account.PRO else "Retail",
            "AutoBuySettings": {
                "AutoBuyEnabled": account.auto_buy_enabled,
                "PurchaseAmount": account.auto_buy_amount,
                "TriggerAmount": account.auto_buy_trigger,
            },
        },
        "Address": address,
        "CustomerEmail": account.email,
        "AccountStatus": "Active" if account.status == Account.ACTIVE else "PendingVerification",
        "DateAdvanceConfig": {
            "MaxDateAdvanceEnvelope": 30,
            "MaxDateAdvanceMailingLabel": 30,
            "MaxDateAdvanceShippingLabel": 7,
        },
        "VerificationPhoneNumber": account.phone or None,
    }


def _capabilities(account: Account) -> dict:
    from .schema import CAPABILITIES

    caps: dict = dict.fromkeys(CAPABILITIES, False)
    verified = account.status == Account.ACTIVE
    caps.update(
        CanPrintShipping=verified,
        CanPrintInternational=verified,
        CanPurchasePostage=verified,
        CanViewOnlineReports=True,
        PerPrintLimit=Decimal("1000.00"),
        AllowAllMailClasses=True,
        CanViewReports=True,
        CanCreateSCANForm=True,
        CanPrintAllIndiciumValues=True,
        CanPrintCubic=account.plan == Account.PRO,
        CanPrintGP=account.plan == Account.PRO,
    )
    return caps


def purchase_postage(call: Call) -> dict:
    account = call.locked_account()
    data = call.data
    # A repeated IntegratorTxID is a new purchase: nothing public says the live service
    # de-duplicates purchases, so ShipDesk must never re-send one (R44).
    tx_id = data.get("IntegratorTxID") or ""
    state.require_verified(account)
    settle_pending(account, call.now, count_call=False)
    amount = data["PurchaseAmount"]
    if amount < MIN_PURCHASE:
        raise SandboxFault("Purchase amount must be at least $10.00.", "00600001")
    pending = sum(
        (p.amount for p in account.purchases.filter(status=Purchase.PENDING)), Decimal("0")
    )
    room = account.max_balance - account.balance - pending
    if amount > room:
        raise SandboxFault(
            f"This purchase would exceed the maximum postage balance of "
            f"${account.max_balance:,.2f}. The most you can purchase now is "
            f"${max(room, Decimal('0')):,.2f}.",
            "00600002",
        )
    if data["ControlTotal"] != account.control_total:
        raise SandboxFault(
            f"Control total mismatch: the account's control total is "
            f"{account.control_total:.2f}. Call GetAccountInfo and try again.",
            "00600003",
        )
    purchase = Purchase(account=account, integrator_tx_id=tx_id, amount=amount, created_at=call.now)
    if account.card_declined or amount == DECLINED_AMOUNT:
        purchase.status, purchase.rejection_reason = Purchase.REJECTED, DECLINED_REASON
    elif amount == PENDING_AMOUNT:
        cfg = state.config()
        purchase.status = Purchase.PENDING
        purchase.settle_after_calls = cfg.pending_settle_calls
        purchase.settle_at = call.now + dt.timedelta(seconds=cfg.pending_settle_seconds)
    else:
        purchase.status = Purchase.SUCCESS
        purchase.settled_at = call.now
        account.balance += amount
        account.save(update_fields=["balance"])
    purchase.balance_after = account.balance
    purchase.control_total_after = account.control_total
    purchase.save()
    return _purchase_answer(purchase)


def _purchase_answer(purchase: Purchase) -> dict:
    return {
        "PurchaseStatus": purchase.status,
        "TransactionID": purchase.pk,
        "PostageBalance": {
            "AvailablePostage": purchase.balance_after,
            "ControlTotal": purchase.control_total_after,
        },
        "RejectionReason": purchase.rejection_reason or None,
        "MIRequired": False,
        "ProcessorTransactionID": f"SBX{purchase.pk:010d}",
    }


def auto_buy(account: Account, now: dt.datetime) -> None:
    """Carrier-side auto-buy: after a label drops the balance below the trigger."""
    if not account.auto_buy_enabled or account.balance >= account.auto_buy_trigger:
        return
    amount = account.auto_buy_amount
    if amount < MIN_PURCHASE or account.balance + amount > account.max_balance:
        return
    if account.card_declined:
        status = Purchase.REJECTED
    else:
        status = Purchase.SUCCESS
        account.balance += amount
        account.save(update_fields=["balance"])
    Purchase.objects.create(
        account=account,
        integrator_tx_id="",
        amount=amount,
        status=status,
        rejection_reason=DECLINED_REASON if status == Purchase.REJECTED else "",
        auto_buy=True,
        balance_after=account.balance,
        control_total_after=account.control_total,
        created_at=now,
        settled_at=now,
    )


def set_auto_buy(call: Call) -> dict:
    account = call.locked_account()
    settings = call.data["AutoBuySettings"]
    enabled = settings["AutoBuyEnabled"]
    amount = settings.get("PurchaseAmount") or Decimal("0")
    trigger = settings.get("TriggerAmount") or Decimal("0")
    if enabled and amount < MIN_PURCHASE:
        raise SandboxFault("Purchase amount must be at least $10.00.", "00600001")
    if enabled and trigger < 0:
        raise SandboxFault("TriggerAmount must not be negative.", "00600004")
    account.auto_buy_enabled = enabled
    account.auto_buy_amount = amount
    account.auto_buy_trigger = trigger
    account.save(update_fields=["auto_buy_enabled", "auto_buy_amount", "auto_buy_trigger"])
    return {}
