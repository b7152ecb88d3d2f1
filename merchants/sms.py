"""Sign-in codes by text message: Twilio Verify v2 in production, the console in development.

Twilio makes, sends and checks the code (ShipDesk never sees it); the console back-end keeps
the last code of each number in the cache for ten minutes so the development code page and the
tests can read it. Which back-end runs is ``TWO_STEP_SMS_BACKEND``; ``off`` leaves
authenticator apps as the only second step. The limits (sends per hour, wrong codes) are
ShipDesk's own (merchants.limits), whatever the back-end.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from enum import StrEnum
from typing import Protocol

import phonenumbers
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)

CODE_LIFETIME_SECONDS = 600  # Twilio Verify's default too

# Numbers a person carries: a landline can't take the text, and premium or shared-cost numbers
# are how SMS-pumping fraud bills the sender.
TEXTABLE = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


class SmsError(Exception):
    """A text could not be sent or checked; ``message`` is written for the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Check(StrEnum):
    APPROVED = "approved"
    WRONG = "wrong"
    EXPIRED = "expired"  # no code waiting: it expired, was used, or was never sent
    TOO_MANY = "too_many"  # the back-end's own limit of checks for this code


def normalise(raw: str) -> str:
    """The E.164 form of a mobile number as typed ("(415) 555-0132", "+44 7700 900123")."""
    try:
        number = phonenumbers.parse((raw or "").strip(), "US")
    except phonenumbers.NumberParseException as exc:
        raise SmsError("Enter a mobile number, like (415) 555-0132 or +44 7700 900123.") from exc
    if not phonenumbers.is_valid_number(number):
        raise SmsError("That isn't a valid phone number. Check the country code and digits.")
    if phonenumbers.number_type(number) not in TEXTABLE:
        raise SmsError("That number can't receive text messages. Enter a mobile number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(e164: str) -> str:
    return f"•••-•••-{e164[-4:]}"


class Backend(Protocol):
    name: str

    def send(self, phone: str) -> None: ...

    def check(self, phone: str, code: str) -> Check: ...


def _console_key(phone: str) -> str:
    return f"shipdesk.two-step-sms.{phone}"


class ConsoleSms:
    """Development: no text leaves the machine; the code waits in the cache."""

    name = "console"

    def send(self, phone: str) -> None:
        cache.set(_console_key(phone), f"{secrets.randbelow(10**6):06d}", CODE_LIFETIME_SECONDS)
        log.info("Sign-in code sent to %s (console back-end)", mask(phone))

    def check(self, phone: str, code: str) -> Check:
        waiting = cache.get(_console_key(phone))
        if waiting is None:
            return Check.EXPIRED
        if not hmac.compare_digest(str(waiting), code):
            return Check.WRONG
        cache.delete(_console_key(phone))  # used once, as at Twilio
        return Check.APPROVED

    @staticmethod
    def last_code(phone: str) -> str | None:
        return cache.get(_console_key(phone))


def twilio_client():
    """The one seam to Twilio (sign-in codes and carrier phone verification): tests replace its
    HTTP client, nothing else. The auth token goes only into the client's basic auth."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    return Client(
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        http_client=TwilioHttpClient(timeout=settings.TWILIO_TIMEOUT),
    )


# Twilio's error codes that mean something to the person typing
# (https://www.twilio.com/docs/api/errors): 60200 invalid parameter (the number), 60205 the
# number is a landline, 60203 too many sends to it, 60202 too many checks of one code.
NOT_TEXTABLE = {60200, 60205}


class TwilioSms:
    name = "twilio"

    def _service(self):
        return twilio_client().verify.v2.services(settings.TWILIO_VERIFY_SERVICE_SID)

    def send(self, phone: str) -> None:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            self._service().verifications.create(to=phone, channel="sms")
        except TwilioRestException as exc:
            # Status and Twilio's code only: the exception's text repeats the request.
            log.warning(
                "Twilio refused a sign-in text to %s: %s %s", mask(phone), exc.status, exc.code
            )
            if exc.status == 429:
                raise SmsError(
                    "Too many codes were sent to this number. Wait ten minutes, or use your "
                    "authenticator app or a recovery code."
                ) from exc
            if exc.code in NOT_TEXTABLE:
                raise SmsError("That number can't receive text messages.") from exc
            raise SmsError("We couldn't send a text message right now. Try again soon.") from exc
        except TwilioException as exc:
            log.warning("Twilio unreachable for a sign-in text: %s", type(exc).__name__)
            raise SmsError("We couldn't send a text message right now. Try again soon.") from exc
        log.info("Sign-in code sent to %s (Twilio Verify)", mask(phone))

    def check(self, phone: str, code: str) -> Check:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            result = self._service().verification_checks.create(to=phone, code=code)
        except TwilioRestException as exc:
            if exc.status == 404:  # Twilio forgets a verification once approved or expired
                return Check.EXPIRED
            if exc.status == 429:
                return Check.TOO_MANY
            log.warning("Twilio refused a code check: %s %s", exc.status, exc.code)
            raise SmsError("We couldn't check the code right now. Try again soon.") from exc
        except TwilioException as exc:
            log.warning("Twilio unreachable for a code check: %s", type(exc).__name__)
            raise SmsError("We couldn't check the code right now. Try again soon.") from exc
        return Check.APPROVED if result.status == "approved" else Check.WRONG


BACKENDS: dict[str, type[Backend]] = {"console": ConsoleSms, "twilio": TwilioSms}


def available() -> bool:
    return settings.TWO_STEP_SMS_BACKEND in BACKENDS


def get_backend(name: str | None = None) -> Backend:
    name = name or settings.TWO_STEP_SMS_BACKEND
    if name not in BACKENDS:
        raise ImproperlyConfigured(
            f"TWO_STEP_SMS_BACKEND={name!r}: sign-in codes by text are off. "
            f"Use one of {sorted(BACKENDS)} to offer them."
        )
    if name == "twilio" and not (
        settings.TWILIO_ACCOUNT_SID
        and settings.TWILIO_AUTH_TOKEN
        and settings.TWILIO_VERIFY_SERVICE_SID
    ):
        raise ImproperlyConfigured(
            "TWO_STEP_SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and "
            "TWILIO_VERIFY_SERVICE_SID."
        )
    return BACKENDS[name]()
