"""SMS 2-step verification of new carrier accounts (R2-R4).

ShipDesk enforces the limits of R4 itself, whichever back-end delivers and checks the code:
``console`` (development: the code is shown in a clearly marked banner), ``twilio`` (Verify
v2) or ``carrier`` (Stamps.com's StartAccountVerification / FinishAccountVerification).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import phonenumbers
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from carriers.models import CarrierAccount, PhoneVerification, VerificationPhone
from carriers.stamps.errors import SECURITY_SUPPORT_PHONE
from merchants.errors import MerchantError
from merchants.sms import twilio_client

log = logging.getLogger(__name__)

CODE_LIFETIME = timedelta(minutes=10)
MAX_WRONG_TRIES = 5
RESEND_INTERVAL = timedelta(seconds=30)
MAX_SENDS_PER_HOUR = 5


class VerificationError(MerchantError):
    """A verification step failed; ``message`` is written for the merchant."""


class InvalidPhoneNumber(VerificationError):
    pass


class SendTooSoon(VerificationError):
    def __init__(self, seconds: int):
        super().__init__(f"A code was just sent. You can ask for another in {seconds} seconds.")
        self.seconds = seconds


class TooManySends(VerificationError):
    def __init__(self, retry_at: datetime):
        minutes = max(1, int((retry_at - timezone.now()).total_seconds() // 60) + 1)
        super().__init__(
            f"We've sent 5 codes to this number in the last hour. Try again in {minutes} "
            f"minutes, or call Stamps.com Security Support at {SECURITY_SUPPORT_PHONE}."
        )
        self.retry_at = retry_at


class NoCodeSent(VerificationError):
    def __init__(self):
        super().__init__("There is no code waiting for this account. Send a new code first.")


class CodeExpired(VerificationError):
    def __init__(self):
        super().__init__("This code has expired (codes last 10 minutes). Send a new code.")


class CodeLocked(VerificationError):
    def __init__(self):
        super().__init__(
            "Too many wrong codes: this code no longer works. Send a new code and try again."
        )


class WrongCode(VerificationError):
    def __init__(self, tries_left: int):
        plural = "try" if tries_left == 1 else "tries"
        super().__init__(
            f"That code isn't right. Check the text message and try again "
            f"({tries_left} {plural} left for this code)."
        )
        self.tries_left = tries_left


class DeliveryFailed(VerificationError):
    pass


# -- phone numbers -----------------------------------------------------------------------


@dataclass(frozen=True)
class Phone:
    e164: str
    national: str
    digits10: str  # the 10 digits Stamps.com's PhoneNumber field takes


def parse_phone(raw: str) -> Phone:
    """Parse and validate a US phone number as typed by the merchant."""
    try:
        number = phonenumbers.parse(raw or "", "US")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber("Enter a phone number, like (415) 555-0132.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(
            "That isn't a valid phone number. Check the area code and the number of digits."
        )
    if phonenumbers.region_code_for_number(number) not in {"US", "PR", "GU", "VI", "AS", "MP"}:
        raise InvalidPhoneNumber("Stamps.com needs a US mobile number for 2-step verification.")
    return Phone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        national=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
        digits10=str(number.national_number),
    )


def mask(e164: str) -> str:
    return f"•••-•••-{e164[-4:]}"


# -- back-ends ---------------------------------------------------------------------------


class Backend(Protocol):
    name: str

    def send(self, verification: PhoneVerification, phone: Phone) -> None: ...

    def check(self, verification: PhoneVerification, code: str) -> bool: ...


class ConsoleBackend:
    """Development: logs that a code was sent; the page shows it in a development banner."""

    name = "console"

    def send(self, verification: PhoneVerification, phone: Phone) -> None:
        verification.console_code = f"{secrets.randbelow(10**6):06d}"
        log.info("Verification code sent to %s (console back-end)", mask(phone.e164))

    def check(self, verification: PhoneVerification, code: str) -> bool:
        return hmac.compare_digest(str(verification.console_code), code)


class TwilioBackend:
    name = "twilio"

    def _service(self):
        return twilio_client().verify.v2.services(settings.TWILIO_VERIFY_SERVICE_SID)

    def send(self, verification: PhoneVerification, phone: Phone) -> None:
        from twilio.base.exceptions import TwilioException

        try:
            result = self._service().verifications.create(to=phone.e164, channel="sms")
        except TwilioException as exc:
            log.warning("Twilio could not send a code to %s: %s", mask(phone.e164), type(exc))
            raise DeliveryFailed(
                "We couldn't send a text message right now. Wait a minute and send again."
            ) from exc
        verification.external_id = result.sid or ""

    def check(self, verification: PhoneVerification, code: str) -> bool:
        from twilio.base.exceptions import TwilioException

        try:
            result = self._service().verification_checks.create(
                to=verification.phone_number, code=code
            )
        except TwilioException as exc:
            raise DeliveryFailed(
                "We couldn't check the code right now. Wait a minute and try again."
            ) from exc
        return result.status == "approved"


class CarrierBackend:
    """Stamps.com sends and checks the code itself."""

    name = "carrier"

    def send(self, verification: PhoneVerification, phone: Phone) -> None:
        from carriers.stamps import accounts

        accounts.start_account_verification(verification.account, phone.digits10)

    def check(self, verification: PhoneVerification, code: str) -> bool:
        from carriers.stamps import accounts

        return accounts.finish_account_verification(verification.account, code)


BACKENDS: dict[str, type] = {
    "console": ConsoleBackend,
    "twilio": TwilioBackend,
    "carrier": CarrierBackend,
}


# Back-ends where ShipDesk sends and checks the code: Stamps.com then accepts the result only
# from a verification partner (R42).
PARTNER_BACKENDS = frozenset({"console", "twilio"})


def get_backend(name: str | None = None) -> Backend:
    name = name or settings.SMS_BACKEND
    if name not in BACKENDS:
        raise ValueError(f"Unknown SMS_BACKEND {name!r}; use one of {sorted(BACKENDS)}")
    if name in PARTNER_BACKENDS and not settings.STAMPS_PARTNER_VERIFICATION_CODE:
        raise ImproperlyConfigured(
            f"SMS_BACKEND={name} needs STAMPS_PARTNER_VERIFICATION_CODE, the code Stamps.com "
            "issues to verification partners; without it use SMS_BACKEND=carrier."
        )
    return BACKENDS[name]()


# -- services ----------------------------------------------------------------------------


def current_verification(account: CarrierAccount) -> PhoneVerification | None:
    return account.verifications.order_by("-sent_at", "-pk").first()


def seconds_until_resend(account: CarrierAccount, now: datetime | None = None) -> int:
    latest = current_verification(account)
    if latest is None:
        return 0
    now = now or timezone.now()
    return max(0, int((latest.sent_at + RESEND_INTERVAL - now).total_seconds() + 0.999))


def send_code(account: CarrierAccount, raw_phone: str, backend: Backend | None = None):
    """Send a new code to ``raw_phone`` for ``account``, within the R4 send limits.

    The send slot is reserved in a short transaction and the message goes out after it
    commits: the back-end may be a slow HTTP call (Twilio, Stamps.com) that must not run
    while the database is locked.
    """
    phone = parse_phone(raw_phone)
    backend = backend or get_backend()
    VerificationPhone.objects.get_or_create(phone_number=phone.e164)
    with transaction.atomic():
        # Serialise sends per phone number so parallel requests can't slip past the limits.
        VerificationPhone.objects.select_for_update().get(phone_number=phone.e164)
        now = timezone.now()
        recent = PhoneVerification.objects.filter(
            phone_number=phone.e164, sent_at__gt=now - timedelta(hours=1)
        ).order_by("sent_at")
        sent_times = list(recent.values_list("sent_at", flat=True))
        if sent_times and now - sent_times[-1] < RESEND_INTERVAL:
            wait = RESEND_INTERVAL - (now - sent_times[-1])
            raise SendTooSoon(int(wait.total_seconds() + 0.999))
        if len(sent_times) >= MAX_SENDS_PER_HOUR:
            raise TooManySends(sent_times[0] + timedelta(hours=1))
        verification = PhoneVerification.objects.create(
            merchant=account.merchant,
            account=account,
            phone_number=phone.e164,
            backend=backend.name,
            sent_at=now,
            expires_at=now + CODE_LIFETIME,
        )
    try:
        backend.send(verification, phone)
    except Exception:
        # Nothing reached the phone: give the slot back so the merchant can retry at once.
        verification.delete()
        raise
    verification.save(update_fields=["console_code", "external_id"])
    CarrierAccount.objects.filter(pk=account.pk).update(phone_number=phone.e164)
    account.phone_number = phone.e164
    return verification


def _reserve_try(account: CarrierAccount) -> PhoneVerification:
    """Count a try before checking it, so parallel guesses can never exceed the limit."""
    with transaction.atomic():
        latest = current_verification(account)
        if latest is None:
            raise NoCodeSent()
        verification = PhoneVerification.objects.select_for_update().get(pk=latest.pk)
        now = timezone.now()
        if verification.verified_at is not None:
            return verification
        if verification.locked_at is not None or verification.failed_attempts >= MAX_WRONG_TRIES:
            raise CodeLocked()
        if now >= verification.expires_at:
            raise CodeExpired()
        verification.failed_attempts += 1
        verification.save(update_fields=["failed_attempts"])
        return verification


def check_code(account: CarrierAccount, code: str, backend: Backend | None = None) -> None:
    """Check ``code``; raises a VerificationError the merchant can act on when it fails."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    verification = _reserve_try(account)
    if verification.verified_at is not None:
        return
    backend = backend or get_backend(verification.backend)
    # Outside any transaction: the back-end may call Twilio or Stamps.com.
    try:
        correct = bool(code) and backend.check(verification, code)
    except Exception:
        # The code was never judged (Twilio or Stamps.com failed): the try doesn't count.
        PhoneVerification.objects.filter(pk=verification.pk).update(
            failed_attempts=F("failed_attempts") - 1
        )
        raise
    if correct:
        PhoneVerification.objects.filter(pk=verification.pk).update(
            verified_at=timezone.now(), failed_attempts=F("failed_attempts") - 1
        )
        return
    tries_left = MAX_WRONG_TRIES - verification.failed_attempts
    if tries_left <= 0:
        PhoneVerification.objects.filter(pk=verification.pk, locked_at__isnull=True).update(
            locked_at=timezone.now()
        )
        raise CodeLocked()
    raise WrongCode(tries_left)
