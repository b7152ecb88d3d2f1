"""Abuse limits on the public forms: sign-in spraying, sign-up and password reset.

Counters live in the cache (Redis in production, so every web process shares them) through
django-ratelimit, keyed on the client address as django-axes sees it (PROXY_COUNT aware).
"""

from __future__ import annotations

from collections.abc import Callable

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

SPRAY = "shipdesk.login-failures"
SIGNUP = "shipdesk.signup"
PASSWORD_RESET = "shipdesk.password-reset"
CONFIRMATION_RESEND = "shipdesk.confirmation-resend"


def client_ip(request: HttpRequest) -> str:
    """RATELIMIT_IP_META_KEY: the address django-axes locks out, so both agree behind a proxy."""
    return get_client_ip_address(request) or request.META.get("REMOTE_ADDR") or "0.0.0.0"


def _count(
    request: HttpRequest,
    group: str,
    rate: str,
    key: str | Callable[[str, HttpRequest], str],
    increment: bool,
) -> int:
    usage = get_usage(request, group=group, key=key, rate=rate, increment=increment)
    return 0 if usage is None else usage["count"]


def spraying(request: HttpRequest) -> bool:
    """True once this address has failed LOGIN_SPRAY_LIMIT sign-ins, whatever the e-mails."""
    rate = f"{settings.LOGIN_SPRAY_LIMIT}/15m"
    return _count(request, SPRAY, rate, "ip", increment=False) >= settings.LOGIN_SPRAY_LIMIT


def record_failed_login(request: HttpRequest | None) -> None:
    if request is not None:
        _count(request, SPRAY, f"{settings.LOGIN_SPRAY_LIMIT}/15m", "ip", increment=True)


def signup_allowed(request: HttpRequest) -> bool:
    """Counts this attempt; False past SIGNUP_LIMIT sign-ups an hour from one address."""
    rate = f"{settings.SIGNUP_LIMIT}/h"
    return _count(request, SIGNUP, rate, "ip", increment=True) <= settings.SIGNUP_LIMIT


def password_reset_allowed(request: HttpRequest, email: str) -> bool:
    """Counts this request per address and per e-mail (so nobody floods one inbox)."""
    rate = f"{settings.PASSWORD_RESET_LIMIT}/h"
    limit = settings.PASSWORD_RESET_LIMIT
    by_ip = _count(request, PASSWORD_RESET, rate, "ip", increment=True)
    by_email = _count(
        request,
        PASSWORD_RESET + ".email",
        rate,
        lambda group, req: email.strip().lower(),
        increment=True,
    )
    return by_ip <= limit and by_email <= limit


def confirmation_resend_allowed(request: HttpRequest) -> bool:
    """Counts this resend for the signed-in person (whatever their address): no inbox flood."""
    rate = f"{settings.CONFIRMATION_RESEND_LIMIT}/h"
    used = _count(request, CONFIRMATION_RESEND, rate, "user", increment=True)
    return used <= settings.CONFIRMATION_RESEND_LIMIT


TWO_STEP = "shipdesk.two-step-failures"


def _two_step_count(request: HttpRequest, user_id: int, increment: bool) -> int:
    rate = f"{settings.TWO_STEP_FAILURE_LIMIT}/15m"
    return _count(request, TWO_STEP, rate, lambda group, req: str(user_id), increment)


def two_step_locked(request: HttpRequest, user_id: int) -> bool:
    """True once this person typed TWO_STEP_FAILURE_LIMIT wrong codes in 15 minutes, from
    anywhere: further codes are not even checked, so the six digits can't be guessed."""
    return _two_step_count(request, user_id, False) >= settings.TWO_STEP_FAILURE_LIMIT


def record_two_step_failure(request: HttpRequest, user_id: int) -> None:
    _two_step_count(request, user_id, True)


TWO_STEP_SMS = "shipdesk.two-step-sms"


def two_step_sms_allowed(request: HttpRequest, user_id: int, phone: str) -> bool:
    """Counts this text; False past TWO_STEP_SMS_SEND_LIMIT an hour for this person or this
    number (each text costs money, and a number must not be flooded from many accounts)."""
    limit = settings.TWO_STEP_SMS_SEND_LIMIT
    rate = f"{limit}/h"
    by_user = _count(request, TWO_STEP_SMS, rate, lambda group, req: str(user_id), True)
    by_phone = _count(request, TWO_STEP_SMS + ".phone", rate, lambda group, req: phone, True)
    return by_user <= limit and by_phone <= limit
