"""At most ``STAMPS_MAX_IN_FLIGHT`` SOAP calls in flight per Stamps.com account, counted
across every process and host, however many workers run: the carrier throttles an
integration that floods one account, and a throttled merchant cannot print at all.

The count lives where every process can see it, and a process that dies holding a slot
gives it back by itself:

- Redis (``REDIS_URL``, the many-hosts set-up): a sorted set per account of leases that
  expire ``STAMPS_TIMEOUT`` + 5 s after they were taken (Redis' own clock, so hosts whose
  clocks differ agree), taken and counted in one Lua script, which reads the back-off flag
  too: a call's slot costs one round trip to take and one to give back.
- PostgreSQL: session advisory locks, one per slot; the server drops a dead connection's.
- SQLite (one host): ``flock`` on one file per slot under ``VAR_DIR``; the kernel drops a
  dead process's.

Back-off: a call that took ``STAMPS_SLOW_CALL_SECONDS`` or more, or failed for want of an
answer, marks the account slow for ``STAMPS_SLOW_BACKOFF_SECONDS`` (a Redis key beside the
leases, or else the cache); meanwhile only half the slots (at least one) are handed out, so a
struggling carrier is not pushed.
"""

from __future__ import annotations

import contextvars
import fcntl
import hashlib
import os
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from carriers.stamps import errors

# KEYS: the account's leases, its back-off flag. ARGV: all its slots, the lease, the token.
_ACQUIRE = """
local limit = tonumber(ARGV[1])
if redis.call('EXISTS', KEYS[2]) == 1 then
  limit = math.max(1, math.floor(limit / 2))
end
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[2]), ARGV[3])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0
"""


# KEYS: the account's leases. ARGV: the lease, the token. A lease that expired is not renewed.
_RENEW = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local expires = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not expires or tonumber(expires) <= now_ms then
  return 0
end
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
"""


class _Backend(Protocol):
    def take(self, account: str, slots: int) -> Any | None:
        """One of ``slots`` (half of them while the account is slow), or None."""

    def release(self, account: str, slot: Any) -> None: ...

    def renew(self, account: str, slot: Any) -> bool:
        """Keep a held slot for one more call; False when it is already gone."""

    def is_slow(self, account: str) -> bool: ...

    def mark_slow(self, account: str, seconds: int) -> None: ...


def _halved(slots: int) -> int:
    return max(1, slots // 2)


class _SlowInCache:
    """The back-off flag in Django's cache, for the backends without Redis, whose slots
    never expire while their holder lives (so a held one never needs renewing)."""

    def renew(self, account: str, slot: Any) -> bool:
        return True

    def try_acquire(self, account: str, limit: int) -> Any | None:
        raise NotImplementedError

    def take(self, account: str, slots: int) -> Any | None:
        return self.try_acquire(account, _halved(slots) if self.is_slow(account) else slots)

    def is_slow(self, account: str) -> bool:
        return bool(cache.get(_slow_key(account)))

    def mark_slow(self, account: str, seconds: int) -> None:
        cache.set(_slow_key(account), 1, seconds)


def _key(account: str) -> str:
    """A stable name for the account (its user name is case-insensitive at Stamps.com)."""
    return hashlib.sha256(account.strip().lower().encode()).hexdigest()[:24]


class _RedisSlots:
    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._renew = self._redis.register_script(_RENEW)

    def take(self, account: str, slots: int) -> Any | None:
        token = uuid.uuid4().hex
        lease_ms = int((settings.STAMPS_TIMEOUT + 5) * 1000)
        keys = [f"shipdesk:stamps:in-flight:{_key(account)}", self._slow(account)]
        return token if self._acquire(keys=keys, args=[slots, lease_ms, token]) else None

    def release(self, account: str, slot: Any) -> None:
        self._redis.zrem(f"shipdesk:stamps:in-flight:{_key(account)}", slot)

    def renew(self, account: str, slot: Any) -> bool:
        lease_ms = int((settings.STAMPS_TIMEOUT + 5) * 1000)
        keys = [f"shipdesk:stamps:in-flight:{_key(account)}"]
        return bool(self._renew(keys=keys, args=[lease_ms, slot]))

    @staticmethod
    def _slow(account: str) -> str:
        return f"shipdesk:{_slow_key(account)}"

    def is_slow(self, account: str) -> bool:
        return bool(self._redis.exists(self._slow(account)))

    def mark_slow(self, account: str, seconds: int) -> None:
        if seconds > 0:  # as the cache: no time, no flag
            self._redis.set(self._slow(account), 1, ex=seconds)


class _PostgresSlots(_SlowInCache):
    """Advisory locks on this thread's connection: (ShipDesk's class id, slot of account)."""

    CLASS_ID = 0x5D5A  # keeps these locks apart from any other advisory lock

    def try_acquire(self, account: str, limit: int) -> Any | None:
        base = int(_key(account)[:6], 16) * 64  # 64 slots per account at most
        for slot in random.sample(range(limit), limit):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_try_advisory_lock(%s, %s)", [self.CLASS_ID, (base + slot) % 2**31]
                )
                (taken,) = cursor.fetchone()
            if taken:
                return (base + slot) % 2**31
        return None

    def release(self, account: str, slot: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [self.CLASS_ID, slot])


class _FileSlots(_SlowInCache):
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def try_acquire(self, account: str, limit: int) -> Any | None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for slot in random.sample(range(limit), limit):
            handle = (self.folder / f"{_key(account)}-{slot}.lock").open("a")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            return handle
        return None

    def release(self, account: str, slot: Any) -> None:
        handle: IO[str] = slot
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


# A kept slot whose lease (STAMPS_TIMEOUT + 5 s) has run this long is renewed before the
# next call: what is left of it must outlast that call's timeout.
_RENEW_AFTER = 4.0

_backends: dict[str, _Backend] = {}
_backends_lock = threading.Lock()


def backend() -> _Backend:
    """Redis when there is one, else the database's own means (see the module's text)."""
    if settings.REDIS_URL:
        name = f"redis:{settings.REDIS_URL}"
    elif connection.vendor == "postgresql":
        name = "postgresql"
    else:
        name = f"files:{settings.VAR_DIR}"
    found = _backends.get(name)
    if found is None:
        with _backends_lock:
            found = _backends.get(name)
            if found is None:
                if settings.REDIS_URL:
                    found = _RedisSlots(settings.REDIS_URL)
                elif connection.vendor == "postgresql":
                    found = _PostgresSlots()
                else:
                    found = _FileSlots(Path(settings.VAR_DIR) / f"stamps-in-flight-{os.getuid()}")
                _backends[name] = found
    return found


def _slow_key(account: str) -> str:
    return f"stamps:slow:{_key(account)}"


def limit_for(account: str) -> int:
    """Slots for ``account`` now: all of them, or half while the carrier is slow."""
    limit = max(1, settings.STAMPS_MAX_IN_FLIGHT)
    return _halved(limit) if backend().is_slow(account) else limit


def note_answer(account: str, seconds: float, error: errors.StampsError | None) -> None:
    """After each call: a slow answer, or none at all, makes the account back off."""
    unanswered = isinstance(error, errors.CarrierUnavailable)
    if account and (unanswered or seconds >= settings.STAMPS_SLOW_CALL_SECONDS):
        backend().mark_slow(account, settings.STAMPS_SLOW_BACKOFF_SECONDS)


@dataclass
class _Held:
    """A slot kept for several calls in a row (``one_slot``): taken by the first of them."""

    account: str  # as the caller named it
    key: str  # user names are case-insensitive at Stamps.com: compared by ``_key``
    slot: Any = None
    taken_at: float = 0.0

    def give_back(self) -> None:
        if self.slot is not None:
            slot, self.slot = self.slot, None
            backend().release(self.account, slot)


_held: contextvars.ContextVar[_Held | None] = contextvars.ContextVar("stamps_held", default=None)


@contextmanager
def one_slot(account: str) -> Iterator[None]:
    """The calls made inside, one after the other, share one of ``account``'s slots.

    A label's purchase asks GetRates, then CreateIndicium a few milliseconds later: taking
    and giving back a slot for each call cost two more round trips to Redis (about 1 ms of
    the merchant's wait; ``make bench``: label_cost). The slot is taken by the first call
    (none, if every answer came from the cache) and given back when the block ends. The
    limit still holds: the block's calls are never in flight together. ``give_back`` returns
    it earlier, once the block's last call is done."""
    if not account or _held.get() is not None:
        yield
        return
    held = _Held(account, _key(account))
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        held.give_back()


def give_back() -> None:
    """The slot kept by the enclosing ``one_slot`` goes back now: its last call is done (a
    purchase's CreateIndicium), and what is left of the block (recording the label) needs
    no carrier. A later call in the block would take a slot again."""
    held = _held.get()
    if held is not None:
        held.give_back()


def _take(slots: _Backend, account: str, operation: str) -> Any:
    """One of the account's slots; waits (a short, jittered pause between tries) for at most
    ``STAMPS_IN_FLIGHT_WAIT`` seconds, then gives up with a temporary failure that says so."""
    deadline = time.monotonic() + settings.STAMPS_IN_FLIGHT_WAIT
    pause = 0.005
    while True:
        # All the account's slots: take() halves them while it is slow.
        slot = slots.take(account, max(1, settings.STAMPS_MAX_IN_FLIGHT))
        if slot is not None:
            return slot
        if time.monotonic() > deadline:
            raise errors.CarrierUnavailable(
                f"waited {settings.STAMPS_IN_FLIGHT_WAIT}s for one of the account's "
                f"{limit_for(account)} call slots",
                fault_code="in-flight limit",
                operation=operation,
            )
        time.sleep(pause * random.uniform(0.5, 1.5))
        pause = min(pause * 2, 0.1)


@contextmanager
def in_flight(account: str, operation: str) -> Iterator[None]:
    """Hold one of ``account``'s slots for the block (or the one kept by ``one_slot``)."""
    if not account:  # RegisterAccount: no account yet
        yield
        return
    slots = backend()
    held = _held.get()
    if held is not None and held.key == _key(account):
        # A Redis lease lasts one call's time and a little more: an old one is renewed
        # first (or taken afresh, should it have lapsed) so this call fits in it too.
        if held.slot is not None and time.monotonic() - held.taken_at > _RENEW_AFTER:
            if not slots.renew(account, held.slot):
                held.slot = None
            held.taken_at = time.monotonic()
        if held.slot is None:
            held.slot = _take(slots, account, operation)
            held.taken_at = time.monotonic()
        yield
        return
    slot = _take(slots, account, operation)
    try:
        yield
    finally:
        slots.release(account, slot)
