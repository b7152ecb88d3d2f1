"""Clock, configuration and authentication shared by the operations."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

from carriers.stamps import faults

from .models import Account, Authenticator, Config
from .soap import SandboxFault

# Requests being answered now, and the most there ever were at once, per account (lower-case
# user name). Kept in this process: the sandbox is served by one process (the development
# server, the tests' live server, a benchmark's server), so this sees every request.
_in_flight: dict[str, int] = {}
_peak_in_flight: dict[str, int] = {}
_in_flight_lock = threading.Lock()


@contextmanager
def in_flight(username: str) -> Iterator[None]:
    key = username.strip().lower()
    with _in_flight_lock:
        _in_flight[key] = _in_flight.get(key, 0) + 1
        _peak_in_flight[key] = max(_peak_in_flight.get(key, 0), _in_flight[key])
    try:
        yield
    finally:
        with _in_flight_lock:
            _in_flight[key] -= 1


def peak_in_flight(username: str) -> int:
    with _in_flight_lock:
        return _peak_in_flight.get(username.strip().lower(), 0)


def forget_in_flight() -> None:
    with _in_flight_lock:
        _peak_in_flight.clear()


def fault(entry: faults.Fault) -> SandboxFault:
    """The soap:Fault for an entry of the shared fault table."""
    return SandboxFault(entry.text, entry.code)


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
    """The Authenticator for the account's next call. It supersedes every earlier one: SWSIM
    is one conversation per account, and a superseded token gets the out-of-sync fault."""
    moment = now()
    token = secrets.token_urlsafe(32)
    # Superseded tokens are kept until they expire, so they get out-of-sync, not "unknown".
    Authenticator.objects.filter(account=account, expires_at__lte=moment).delete()
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
        raise fault(faults.BAD_CREDENTIALS)
    if account.status == Account.CLOSED:
        raise fault(faults.CLOSED_PLAN)
    return account


def authenticate(data: dict) -> Account:
    """The account behind the request's Authenticator (or Credentials)."""
    creds = data.get("Credentials")
    if creds:
        return login(creds.get("Username", ""), creds.get("Password", ""))
    token = data.get("Authenticator")
    if not token:
        raise fault(faults.AUTHENTICATOR_INVALID)
    # Locked, so two requests racing with one token are served one after the other and the
    # second finds it superseded by the first one's answer.
    auth = (
        Authenticator.objects.select_for_update()
        .select_related("account")
        .filter(token=token)
        .first()
    )
    if auth is None:
        raise fault(faults.AUTHENTICATOR_INVALID)
    if auth.expires_at <= now():
        raise fault(faults.AUTHENTICATOR_EXPIRED)
    if Authenticator.objects.filter(account=auth.account_id, pk__gt=auth.pk).exists():
        raise fault(faults.CONVERSATION_OUT_OF_SYNC)
    if auth.account.status == Account.CLOSED:
        raise fault(faults.CLOSED_PLAN)
    return auth.account


def require_verified(account: Account) -> None:
    if account.status == Account.PENDING:
        raise fault(faults.NOT_VERIFIED)
