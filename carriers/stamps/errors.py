"""Stamps.com failures as a small exception hierarchy.

Every error carries ``permanent`` (False means the same request may succeed later: retry
it, or tell the merchant to try again) and the merchant-facing ``explanation`` and
``what_to_do`` from RULES.md, so views show help instead of raw SOAP faults. The carrier's
own words stay in ``fault_text`` for the call log and the support console.

``error_from_fault`` maps a SOAP fault (faultcode, faultstring, detail code) to one of these,
with ``carriers.stamps.faults`` (the table the sandbox answers from) for the codes;
``carriers.stamps.client`` maps transport failures to ``CarrierUnavailable``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from carriers.stamps import faults

STAMPS_SUPPORT_PHONE = "1-855-889-7867"
SECURITY_SUPPORT_PHONE = "866-634-4708"
TRUST_AND_SAFETY_PHONE = "(866) 634-4708"


class StampsError(Exception):
    """A Stamps.com call that did not do what was asked."""

    permanent: bool = True
    explanation: str = "Stamps.com could not complete the request."
    what_to_do: str = (
        f"Check the details and try again. If it keeps failing, call Stamps.com support at "
        f"{STAMPS_SUPPORT_PHONE}."
    )
    # A carrier page (SWSIM GetURL URLType) that helps the merchant fix the problem.
    help_url_type: str = ""

    def __init__(
        self,
        fault_text: str = "",
        *,
        fault_code: str = "",
        operation: str = "",
        explanation: str | None = None,
        what_to_do: str | None = None,
    ) -> None:
        self.fault_text = fault_text
        self.fault_code = fault_code
        self.operation = operation
        if explanation is not None:
            self.explanation = explanation
        if what_to_do is not None:
            self.what_to_do = what_to_do
        super().__init__(fault_text or self.explanation)

    @property
    def merchant_message(self) -> str:
        return f"{self.explanation} {self.what_to_do}".strip()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.fault_text!r}, operation={self.operation!r})"


class CarrierFault(StampsError):
    """A fault the client does not recognise: final, shown with the carrier's words."""

    def __init__(self, fault_text: str = "", **kwargs: str) -> None:
        super().__init__(fault_text, **kwargs)
        if fault_text and "explanation" not in kwargs:
            self.explanation = f"Stamps.com refused the request: {fault_text.rstrip('.')}."


class CarrierUnavailable(StampsError):
    """Timeouts, HTTP 5xx and connection errors: the carrier may not have seen the request."""

    permanent = False
    explanation = "Stamps.com did not answer in time."
    what_to_do = (
        "Nothing was changed on your side. Try again in a minute; if Stamps.com stays "
        "unavailable, check status.stamps.com."
    )


class AuthenticatorExpired(StampsError):
    """The conversation token expired or went out of sync; the client re-authenticates."""

    permanent = False
    explanation = "The Stamps.com session expired."
    what_to_do = "Try again; ShipDesk signs in to Stamps.com again automatically."


class AuthenticationFailed(StampsError):
    """R7: wrong username or password (for example changed at Stamps.com)."""

    explanation = "Stamps.com did not accept the username and password for this account."
    what_to_do = (
        "If the password was changed at Stamps.com, enter the new one with the \u201cUpdate "
        "password\u201d button beside the account in Your Carrier Accounts (your history is "
        f"kept). Forgotten the password? Call Stamps.com support at {STAMPS_SUPPORT_PHONE}."
    )
    # The connect and update-password pages have no such button: they say what to do there.
    when_connecting = (
        "Stamps.com did not accept this username and password. Check both (the password is "
        "case-sensitive) and connect again. Forgotten the password? Reset it at Stamps.com or "
        f"call Stamps.com support at {STAMPS_SUPPORT_PHONE}."
    )
    when_updating = (
        "Stamps.com did not accept this password either. Enter the one that signs you in at "
        "Stamps.com now (it is case-sensitive). Forgotten it? Reset it at Stamps.com or call "
        f"Stamps.com support at {STAMPS_SUPPORT_PHONE}."
    )


class ClosedPlan(StampsError):
    """R8: "Account is set to a closed plan"."""

    explanation = (
        "This Stamps.com account is closed or was removed from the Pro plan, so it can no "
        "longer buy postage through ShipDesk."
    )
    what_to_do = (
        "Reconnect it after reopening the account at Stamps.com, or choose another Stamps.com "
        f"account as the default. Stamps.com support: {STAMPS_SUPPORT_PHONE}."
    )


class AccountNotVerified(StampsError):
    """R3: a new account that has not passed 2-step verification."""

    explanation = (
        "This Stamps.com account has not finished 2-step phone verification, so it cannot add "
        "funds or create labels yet."
    )
    what_to_do = (
        "Finish verification with the code sent to your phone. If no code arrives, call "
        f"Stamps.com Security Support at {SECURITY_SUPPORT_PHONE}."
    )


class InsufficientFunds(StampsError):
    explanation = "The Stamps.com account does not have enough postage for this label."
    what_to_do = "Add funds (or turn on auto-funding) and try again."


class CardDeclined(StampsError):
    """R12: the purchase was rejected; the balance is unchanged."""

    help_url_type = "AccountSettingsPage"
    explanation = "The card on file at Stamps.com was declined. Your balance is unchanged."
    what_to_do = (
        "Update the card in Stamps.com Account Settings, or call Stamps.com Trust and Safety "
        f"at {TRUST_AND_SAFETY_PHONE}."
    )


class PurchaseLimit(StampsError):
    """R10/R11: below the $10.00 minimum, or above the $10,000.00 maximum balance."""

    minimum = Decimal("10.00")

    def __init__(
        self, fault_text: str = "", *, largest_amount: Decimal | None = None, **kw: str
    ) -> None:
        super().__init__(fault_text, **kw)
        self.largest_amount = largest_amount
        if "explanation" in kw:
            return
        text = fault_text.lower()
        if "minimum" in text or "at least" in text or "less than" in text:
            self.explanation = "A single postage purchase must be at least $10.00."
            self.what_to_do = "Enter $10.00 or more."
        else:
            self.explanation = "An account can hold at most $10,000.00 of postage."
            if largest_amount is not None:
                self.what_to_do = f"You can add at most ${largest_amount:,.2f} right now."
            else:
                self.what_to_do = "Enter a smaller amount."


class InvalidPackageType(StampsError):
    """R20: there is no "Cubic" package type at Stamps.com."""

    explanation = "Stamps.com has no \u201cCubic\u201d package type."
    what_to_do = (
        "For cubic prices choose package type Package with the dimensions and weight on a "
        "Priority Mail service; the cubic price is used when it is lower."
    )


class AddressValidation(StampsError):
    """R18: names on international and military shipments."""

    explanation = (
        "International and military (APO/FPO/DPO) shipments need a first and last name, each "
        "at least two characters, separated by a space, for both the sender and the recipient."
    )
    what_to_do = "Edit the ship-from and recipient names and try again."


class SchemaValidation(StampsError):
    """R19: the request did not match the carrier's schema (e.g. an empty postal code)."""

    explanation = "Stamps.com rejected a field as missing or badly formatted."
    what_to_do = (
        "Check the addresses (a country without postal codes is sent as 00000), the weight "
        "and the dimensions, then try again."
    )


class VoidRefused(StampsError):
    """R27: labels can be voided for a refund within 28 days of creation."""

    explanation = "Stamps.com refused to void this label."
    what_to_do = "Labels can be voided for a refund only within 28 days of creation."


class LabelImageExpired(StampsError):
    """The link to a label image no longer works (the carrier's links expire): the image is
    asked for again with ReprintIndicium, never bought again (R39)."""

    explanation = "The link to this label's image at Stamps.com has expired."
    what_to_do = "Print again: ShipDesk asks Stamps.com for the same label's image."


class ScanFormFailure(StampsError):
    """R32: the carrier failed while closing a SCAN form."""

    help_url_type = "OnlineReportsPage"
    explanation = "Stamps.com could not create the SCAN form."
    what_to_do = "Close the SCAN form directly in Stamps.com (Reports), using the link."


class ScanFormAlreadyScanned(ScanFormFailure):
    """R31: a SCAN form closes only shipments created on its date for that date."""

    help_url_type = ""
    explanation = (
        "One or more of these packages have already been scanned by USPS: a SCAN form only "
        "closes shipments created on its date for that date."
    )
    what_to_do = (
        "Leave out shipments with past ship dates, or move the shipping cut-off time in "
        "Settings so labels printed late get the next day's date."
    )


class ScanFormTooLate(ScanFormFailure):
    """R30: SCAN forms are created before 9pm local time."""

    help_url_type = ""
    explanation = "SCAN forms can only be created before 9pm local time of the ship-from location."
    what_to_do = "Create it tomorrow for tomorrow's shipments, or hand the packages in as they are."


class VerificationFailed(StampsError):
    """R4: a wrong, expired or locked phone verification code."""

    explanation = "Stamps.com did not accept the verification code."
    what_to_do = "Check the code from the text message, or send a new one."


class ControlTotalMismatch(StampsError):
    """PurchasePostage was sent with a stale ControlTotal: nothing was bought."""

    explanation = "Your Stamps.com balance changed while you were adding funds. Nothing was bought."
    what_to_do = "Refresh the balance and try again."


class RegistrationFailed(StampsError):
    explanation = "Stamps.com could not create the account."
    what_to_do = "Check the details (the username may be taken) and try again."


_MONEY = re.compile(r"\$\s?([0-9][0-9,]*(?:\.[0-9]{1,2})?)")


def _amounts(text: str) -> list[Decimal]:
    out = []
    for raw in _MONEY.findall(text):
        try:
            out.append(Decimal(raw.replace(",", "")))
        except InvalidOperation:
            continue
    return out


# Ordered: the first pattern found in the fault text (case-insensitive) wins.
_PATTERNS: list[tuple[re.Pattern[str], type[StampsError]]] = [
    (re.compile(p, re.I), cls)
    for p, cls in [
        (
            r"authenticator|conversation token|out[- ]of[- ]sync|session (has )?expired",
            AuthenticatorExpired,
        ),
        (
            r"authentication failed|invalid (username|user name|password)"
            r"|username or password (entered )?is not correct",
            AuthenticationFailed,
        ),
        (r"closed plan", ClosedPlan),
        (
            r"not (been )?verified|not completed (2-step )?verification"
            r"|verification (is )?required|pending verification",
            AccountNotVerified,
        ),
        (
            r"verification code|code (has )?expired|too many (wrong|failed|incorrect)"
            r"|incorrect verification",
            VerificationFailed,
        ),
        (r"control total", ControlTotalMismatch),
        (r"requested value '?cubic'? was not found", InvalidPackageType),
        (r"requested value .* was not found", SchemaValidation),
        (r"must contain at least two words", AddressValidation),
        (
            r"minlength|maxlength|schema|is not valid|invalid value|pattern constraint"
            r"|must be greater than|not in a correct format|out of range|required element",
            SchemaValidation,
        ),
        (r"already been scanned", ScanFormAlreadyScanned),
        (r"9 ?pm|after 21:00", ScanFormTooLate),
        (r"buffer quota|manifest|scan ?form", ScanFormFailure),
        (r"declined", CardDeclined),
        (r"insufficient (funds|postage)|not enough postage", InsufficientFunds),
        (r"maximum (postage )?balance|exceed|minimum purchase|at least \$", PurchaseLimit),
        (r"cannot be (voided|refunded)|28 days|void", VoidRefused),
        (r"username .*(taken|exists|in use)|already (registered|exists)", RegistrationFailed),
    ]
]


def error_from_fault(
    fault_text: str, *, fault_code: str = "", detail_code: str = "", operation: str = ""
) -> StampsError:
    """The error for a SOAP fault, judged by the carrier's wording (and its code)."""
    text = fault_text or ""
    kwargs = {"fault_code": detail_code or fault_code, "operation": operation}
    code = faults.normal_code(detail_code)
    if code in faults.STALE_CONVERSATION:
        # Whatever the wording, these codes mean a stale conversation (faults.py cites who
        # says so): never a wrong password or a closed plan.
        return AuthenticatorExpired(text, **kwargs)
    for pattern, cls in _PATTERNS:
        if pattern.search(text):
            if cls is PurchaseLimit:
                amounts = _amounts(text)
                largest = min(amounts) if amounts and "max" in text.lower() else None
                return PurchaseLimit(text, largest_amount=largest, **kwargs)
            return cls(text, **kwargs)
    known = faults.TABLE.get(code)
    if known is not None:
        by_code: type[StampsError] = globals()[known.error]
        return by_code(text, fault_code=kwargs["fault_code"], operation=operation)
    if fault_code.lower().endswith("server") and not text:
        return CarrierUnavailable(text, **kwargs)
    return CarrierFault(text, **kwargs)
