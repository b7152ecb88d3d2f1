"""Two-step sign-in with an authenticator app (TOTP, RFC 6238, through pyotp) and recovery codes.

A code is accepted for its own 30-second step and one step either side (clock drift), and each
step only once: the last step used is stored, so a code seen over someone's shoulder can't be
replayed. Recovery codes are random, used once, and stored only as SHA-256 digests (they carry
enough entropy that a slow hash adds nothing).
"""

from __future__ import annotations

import hashlib
import secrets

import pyotp
from django.utils import timezone

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


def is_enabled(user) -> bool:
    return Profile.objects.filter(user_id=user.pk, totp_enabled_at__isnull=False).exists()


def _digest(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def _matching_step(secret: str, code: str) -> int | None:
    """The time step ``code`` belongs to (now, or one step either side), or None."""
    code = code.replace(" ", "").strip()
    if not (code.isascii() and code.isdigit() and len(code) == 6):
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


def enable(user, secret: str, code: str) -> list[str] | None:
    """Turn two-step sign-in on once the app shows a right code; returns the recovery codes
    (shown once), or None when the code is wrong."""
    step = _matching_step(secret, code)
    if step is None:
        return None
    codes = _recovery_codes()
    profile = _profile(user)
    profile.totp_secret = secret
    profile.totp_enabled_at = timezone.now()
    profile.totp_last_step = step
    profile.recovery_codes = [_digest(c) for c in codes]
    profile.save()
    return codes


def disable(user) -> None:
    Profile.objects.filter(user_id=user.pk).update(
        totp_secret="", totp_enabled_at=None, totp_last_step=0, recovery_codes=[]
    )


def verify(user, code: str) -> bool:
    """True for a current authenticator code not used before, or an unused recovery code
    (which is then spent)."""
    from django.db import transaction

    with transaction.atomic():
        profile = (
            Profile.objects.select_for_update()
            .filter(user_id=user.pk, totp_enabled_at__isnull=False)
            .first()
        )
        if profile is None:
            return False
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


def recovery_codes_left(user) -> int:
    profile = Profile.objects.filter(user_id=user.pk).only("recovery_codes").first()
    return len(profile.recovery_codes) if profile else 0
