"""E-mail confirmation: a signed, expiring link proves the person reads the address.

The token follows Django's password-reset pattern: an HMAC over the user's id, current e-mail
and confirmed e-mail plus a timestamp. Confirming changes the confirmed e-mail, and changing
the user's e-mail changes the hash, so each link works once and only for the address it was
sent to.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.functional import SimpleLazyObject
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode

from merchants.models import Profile


class EmailConfirmationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "shipdesk.merchants.EmailConfirmationTokenGenerator"

    def _make_hash_value(self, user, timestamp: int) -> str:
        return f"{user.pk}|{user.email.lower()}|{confirmed_email(user)}|{timestamp}"

    def check_token(self, user, token: str | None) -> bool:
        """Django's check, with this link's own lifetime instead of the password reset's."""
        if not (user and token):
            return False
        try:
            ts = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return self._num_seconds(self._now()) - ts <= settings.EMAIL_CONFIRMATION_TIMEOUT


tokens = EmailConfirmationTokenGenerator()


def confirmed_email(user) -> str:
    profile = Profile.objects.filter(user_id=user.pk).only("confirmed_email").first()
    return profile.confirmed_email if profile else ""


def is_confirmed(user) -> bool:
    if not user.is_authenticated or not user.email:
        return False
    return confirmed_email(user).lower() == user.email.lower()


def mark_confirmed(user) -> None:
    Profile.objects.update_or_create(
        user=user,
        defaults={"confirmed_email": user.email.lower(), "confirmed_at": timezone.now()},
    )


def link_parts(user) -> tuple[str, str]:
    """(uidb64, token) for the confirmation URL; the view builds the absolute link."""
    return urlsafe_base64_encode(force_bytes(user.pk)), tokens.make_token(user)


def send_confirmation(user, link: str) -> None:
    context = {"user": user, "link": link, "days": settings.EMAIL_CONFIRMATION_TIMEOUT // 86400}
    send_mail(
        "Confirm your e-mail for ShipDesk",
        render_to_string("merchants/confirm_email.txt", context),
        None,
        [user.email],
    )


def confirm(uidb64: str, token: str):
    """The user whose e-mail this link confirms (now confirmed), or None if it is not valid:
    tampered, expired, already used, or sent to an address the user no longer has."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError):
        return None
    user = get_user_model().objects.filter(pk=pk).first()
    if user is None or is_confirmed(user) or not tokens.check_token(user, token):
        return None
    mark_confirmed(user)
    return user


def request_is_confirmed(request) -> bool:
    """is_confirmed for the signed-in user, read with the request's merchant when there is one
    (tenancy annotates it in the same query, so pages cost nothing extra)."""
    merchant = getattr(request, "merchant", None)
    known = getattr(merchant, "member_confirmed_email", None)
    if known is not None:
        return bool(request.user.email) and known.lower() == request.user.email.lower()
    return is_confirmed(request.user)


def banner(request) -> dict:
    """Context processor: the "confirm your e-mail" banner for a signed-in, unconfirmed member
    of a store (confirmation gates only store actions, so support staff never see it)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "merchant", None) is None:
        return {}
    return {"email_unconfirmed": SimpleLazyObject(lambda: not request_is_confirmed(request))}
