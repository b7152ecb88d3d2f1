"""Clock, configuration and authentication shared by the operations."""

from __future__ import annotations

import datetime as dt
import secrets

from django.utils import timezone

from .models import Account, Authenticator, Config
from .soap import SandboxFault

AUTH_FAILED = "Authentication Failed"
CLOSED_PLAN = "Account is set to a closed plan"
TOKEN_EXPIRED = "Invalid authenticator: the conversation token has expired or is unknown."
NOT_VERIFIED = (
    "This account has not completed 2-step verification. Verify the phone number on the "
    "account before purchasing postage or printing labels."
)


def config() -> Config:
    cfg = Config.objects.filter(pk=1).first()
    if cfg is None:
        cfg, _ = Config.objects.get_or_create(pk=1)
    return cfg


def now() -> dt.datetime:
    """The sandbox's clock: real time unless a test set an override (``api.set_clock``)."""
    override = config().now_override
    return override if override is not None else timezone.now()


def issue_token(account: Account) -> str:
    moment = now()
    token = secrets.token_urlsafe(32)
    Authenticator.objects.create(
        token=token,
        account=account,
        created_at=moment,
        expires_at=moment + dt.timedelta(seconds=config().token_ttl_seconds),
    )
    return token


def login(username: str, password: str) -> Account:
    account = Account.objects.filter(username__iexact=username).first()
    if account is None or not account.check_password(password):
        raise SandboxFault(AUTH_FAILED, "002b0202")
    if account.status == Account.CLOSED:
        raise SandboxFault(CLOSED_PLAN, "002b0203")
    return account


def authenticate(data: dict) -> Account:
    """The account behind the request's Authenticator (or Credentials)."""
    creds = data.get("Credentials")
    if creds:
        return login(creds.get("Username", ""), creds.get("Password", ""))
    token = data.get("Authenticator")
    if not token:
        raise SandboxFault(TOKEN_EXPIRED, "002b0201")
    auth = Authenticator.objects.select_related("account").filter(token=token).first()
    if auth is None or auth.expires_at <= now():
        raise SandboxFault(TOKEN_EXPIRED, "002b0201")
    if auth.account.status == Account.CLOSED:
        raise SandboxFault(CLOSED_PLAN, "002b0203")
    return auth.account


def require_verified(account: Account) -> None:
    if account.status == Account.PENDING:
        raise SandboxFault(NOT_VERIFIED, "002b0210")
