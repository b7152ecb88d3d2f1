"""Two-step sign-in: an authenticator app (TOTP, RFC 6238, through pyotp), a text message
(merchants.sms: Twilio Verify) or both, and recovery codes that work whichever is on.

A code is accepted for its own 30-second step and one step either side (clock drift), and each
step only once: the last step used is stored, so a code seen over someone's shoulder can't be
replayed. Recovery codes are random, used once, and stored only as SHA-256 digests (they carry
enough entropy that a slow hash adds nothing).
"""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum

import pyotp
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from merchants import events, sms
from merchants.ids import ascii_digits
from merchants.models import Profile

ISSUER = "ShipDesk"
RECOVERY_CODES = 10
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// link an authenticator app reads (as a QR code or pasted)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def _profile(user) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


# Two-step sign-in is on when either second step is.
ENABLED = Q(totp_enabled_at__isnull=False) | Q(sms_enabled_at__isnull=False)


def is_enabled(user) -> bool:
    return Profile.objects.filter(ENABLED, user_id=user.pk).exists()


def profile_of(user) -> Profile | None:
    """The person's two-step state (for pages): which steps are on, the texted number."""
    return Profile.objects.filter(user_id=user.pk).first()


def has_app(user) -> bool:
    return Profile.objects.filter(user_id=user.pk, totp_enabled_at__isnull=False).exists()


def sms_phone(user) -> str:
    """The number sign-in codes are texted to, or "" when text messages are not set up."""
    found = Profile.objects.filter(user_id=user.pk, sms_enabled_at__isnull=False)
    return found.values_list("sms_phone", flat=True).first() or ""


def _digest(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def _matching_step(secret: str, code: str) -> int | None:
    """The time step ``code`` belongs to (now, or one step either side), or None."""
    code = code.replace(" ", "").strip()
    if not (ascii_digits(code) and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = timezone.now()
    step = totp.timecode(now)
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.generate_otp(step + offset), code):
            return step + offset
    return None


def _recovery_codes() -> list[str]:
    return [
        f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)
    ]  # 48 bits each


def _recovery_codes_for(profile: Profile) -> list[str]:
    """Fresh recovery codes when two-step sign-in is being turned on; none when a second
    method joins the first (the saved codes keep working)."""
    already_on = profile.totp_enabled_at is not None or profile.sms_enabled_at is not None
    if already_on and profile.recovery_codes:
        return []
    codes = _recovery_codes()
    profile.recovery_codes = [_digest(c) for c in codes]
    return codes


def enable(user, secret: str, code: str) -> list[str] | None:
    """Turn on the authenticator app once it shows a right code; returns the new recovery codes
    (shown once; empty when two-step sign-in was already on), or None when the code is wrong."""
    step = _matching_step(secret, code)
    if step is None:
        return None
    profile = _profile(user)
    codes = _recovery_codes_for(profile)
    profile.totp_secret = secret
    profile.totp_enabled_at = timezone.now()
    profile.totp_last_step = step
    with transaction.atomic():
        profile.save()
        events.two_step_changed(user, events.Action.TWO_STEP_ON, "authenticator app")
    return codes


def enable_sms(user, phone: str) -> list[str]:
    """Turn on text messages to ``phone`` (which just proved it gets them); returns the new
    recovery codes, as ``enable`` does."""
    profile = _profile(user)
    codes = _recovery_codes_for(profile)
    profile.sms_phone = phone
    profile.sms_enabled_at = timezone.now()
    with transaction.atomic():
        profile.save()
        events.two_step_changed(user, events.Action.TWO_STEP_ON, "text messages")
    return codes


@transaction.atomic
def disable(user) -> None:
    """Both second steps off, the key and the recovery codes forgotten."""
    events.two_step_changed(user, events.Action.TWO_STEP_OFF, "")
    Profile.objects.filter(user_id=user.pk).update(
        totp_secret="",
        totp_enabled_at=None,
        totp_last_step=0,
        recovery_codes=[],
        sms_phone="",
        sms_enabled_at=None,
    )


class Outcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"  # a texted code that is no longer waiting
    TOO_MANY = "too_many"  # Twilio's own limit of checks for one texted code


def send_text(user) -> str:
    """Text a sign-in code to the person's number; returns the number masked. Raises
    sms.SmsError (in the person's words) when it can't go out."""
    phone = sms_phone(user)
    if not phone:
        raise sms.SmsError("Text messages are not set up for your sign-in.")
    sms.get_backend().send(phone)
    return sms.mask(phone)


def _local_check(user, code: str) -> bool:
    """An authenticator code not used before, or an unused recovery code (then spent)."""
    with transaction.atomic():
        profile = Profile.objects.select_for_update().filter(ENABLED, user_id=user.pk).first()
        if profile is None:
            return False
        if profile.totp_enabled_at is not None:
            step = _matching_step(profile.totp_secret, code)
            if step is not None:
                if step <= profile.totp_last_step:
                    return False  # already used: a replay
                profile.totp_last_step = step
                profile.save(update_fields=["totp_last_step"])
                return True
        digest = _digest(code)
        if digest in profile.recovery_codes:
            profile.recovery_codes = [d for d in profile.recovery_codes if d != digest]
            profile.save(update_fields=["recovery_codes"])
            return True
    return False


def check(user, code: str, *, texted: bool = False) -> Outcome:
    """Judge a code typed at sign-in (or to turn two-step off). ``texted``: a code was texted
    during this sign-in, so a code that is neither the app's nor a recovery code is asked of
    the SMS back-end (outside any transaction: it may be an HTTP call to Twilio). Raises
    sms.SmsError when Twilio can't be asked: the code was not judged."""
    code = (code or "").strip()
    if _local_check(user, code):
        return Outcome.OK
    digits = code.replace(" ", "").replace("-", "")
    phone = sms_phone(user) if texted else ""
    if not (phone and ascii_digits(digits)):
        return Outcome.WRONG
    result = sms.get_backend().check(phone, digits)
    return {
        sms.Check.APPROVED: Outcome.OK,
        sms.Check.WRONG: Outcome.WRONG,
        sms.Check.EXPIRED: Outcome.EXPIRED,
        sms.Check.TOO_MANY: Outcome.TOO_MANY,
    }[result]


def verify(user, code: str) -> bool:
    """True for a current authenticator code not used before, or an unused recovery code."""
    return _local_check(user, (code or "").strip())


def recovery_codes_left(user) -> int:
    profile = Profile.objects.filter(user_id=user.pk).only("recovery_codes").first()
    return len(profile.recovery_codes) if profile else 0
