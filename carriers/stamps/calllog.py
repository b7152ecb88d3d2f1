"""The carrier call log: one ``carriers.models.CarrierCall`` per attempt, secrets redacted,
written so that the caller's rollback cannot erase it (see ``record``)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, connections, transaction

from carriers.stamps.errors import CarrierUnavailable, StampsError

# The client's logger name, so log searches written before the call log had its own module
# still find these lines.
log = logging.getLogger("carriers.stamps.client")

# --------------------------------------------------------------------------------------------
# Redaction for the call log.

SECRET_KEYS = frozenset(
    {
        "password",
        "authenticator",
        "accountnumber",
        "cvn",
        "phoneverificationcode",
        "codeword1",
        "codeword2",
        "iovationblackbox",
        "temppassword",
        "newpassword",
    }
)


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ("***" if k.lower() in SECRET_KEYS else redact(v))
            for k, v in value.items()
            if v not in (None, "", [], {})
        }
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, (Decimal, dt.date, uuid.UUID)):
        return str(value)
    return value


def summarize(kwargs: dict[str, Any], limit: int = 2000) -> str:
    text = json.dumps(redact(kwargs), default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# --------------------------------------------------------------------------------------------
# The call log.


def _in_caller_transaction(alias: str = "default") -> bool:
    conn = connections[alias]
    if not conn.in_atomic_block:
        return False
    # Atomic blocks opened by Django's TestCase are not a caller's transaction.
    return not all(getattr(block, "_from_testcase", False) for block in conn.atomic_blocks)


def _write_elsewhere(fields: dict[str, Any]) -> bool:
    """Write the record on another connection (another thread), outside the caller's
    transaction. Returns False when that did not work."""
    from carriers.models import CarrierCall

    done = threading.Event()
    ok = [False]

    def work() -> None:
        try:
            with transaction.atomic():
                conn = connections["default"]
                if conn.vendor == "postgresql":
                    # The caller may hold locks this insert needs (an uncommitted merchant):
                    # give up quickly rather than wait for a transaction that waits for us.
                    with conn.cursor() as cursor:
                        cursor.execute("SET LOCAL lock_timeout = '2s'")
                CarrierCall.objects.create(**fields)
            ok[0] = True
        except DatabaseError:
            log.warning("carrier call log: separate connection failed", exc_info=True)
        finally:
            connections.close_all()
            done.set()

    thread = threading.Thread(target=work, name="carrier-call-log", daemon=True)
    thread.start()
    done.wait()
    return ok[0]


# Records kept back by ``deferred`` blocks, per thread (a web request, a worker's job).
_held = threading.local()


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Keep the block's call records and write them together at its end, in one insert: a
    label's purchase makes two or three calls, a tracking pass hundreds. A caller may take
    them earlier (``take_deferred``) to write them elsewhere: a label's follow-up job does.
    Whatever was not taken is written when the block ends, however it ends."""
    outer = getattr(_held, "rows", None)
    rows: list[dict[str, Any]] = []
    _held.rows = rows
    try:
        yield
    finally:
        _held.rows = outer
        if rows:
            record_many(rows)


def take_deferred() -> list[dict[str, Any]]:
    """The records held by the current ``deferred`` block (none outside one); whoever takes
    them writes them (``record_many``)."""
    rows: list[dict[str, Any]] | None = getattr(_held, "rows", None)
    if not rows:
        return []
    taken = list(rows)
    rows.clear()
    return taken


def record_many(rows: list[dict[str, Any]]) -> None:
    """Save several CarrierCalls at once, as ``record`` saves one (a rollback of the caller
    cannot erase them)."""
    from carriers.models import CarrierCall

    held: list[dict[str, Any]] | None = getattr(_held, "rows", None)
    if held is not None:  # an enclosing block writes them with its own
        held.extend(rows)
        return
    if len(rows) == 1 or _in_caller_transaction():
        for fields in rows:
            record(fields)
        return
    try:
        CarrierCall.objects.bulk_create([CarrierCall(**fields) for fields in rows])
    except DatabaseError:
        log.exception("could not record %s carrier calls", len(rows))


def record(fields: dict[str, Any]) -> None:
    """Save one CarrierCall so that the caller's rollback cannot erase it.

    Outside a transaction (the normal case: services call the carrier between short
    transactions) the record is written at once. Inside a caller's transaction on a database
    with concurrent writers (PostgreSQL) it is written on a separate connection, so a rolled
    back purchase still leaves its call visible. SQLite allows one writer, and the caller holds
    the write lock, so there it is written inside the caller's transaction (in a savepoint) and
    also logged; a rollback loses the row but not the log line.
    """
    from carriers.models import CarrierCall

    held: list[dict[str, Any]] | None = getattr(_held, "rows", None)
    if held is not None:
        held.append(fields)
        return
    try:
        if _in_caller_transaction():
            if connections["default"].vendor != "sqlite" and _write_elsewhere(fields):
                return
            log.info(
                "carrier call %s %s %s",
                fields["operation"],
                fields["outcome"],
                fields.get("fault_text", ""),
            )
            with transaction.atomic():
                CarrierCall.objects.create(**fields)
        else:
            CarrierCall.objects.create(**fields)
    except DatabaseError:
        # The call itself happened; losing its record must not turn it into a failure.
        log.exception("could not record carrier call %s", fields.get("operation"))


def record_call(
    account: Any,
    username: str,
    operation: str,
    *,
    started: dt.datetime,
    duration: float,
    attempt: int,
    kwargs: dict[str, Any],
    error: StampsError | None = None,
) -> None:
    """Record one attempt of ``operation``; ``account`` is the CarrierAccount, if saved."""
    from carriers.models import CarrierCall

    if error is None:
        outcome = CarrierCall.Outcome.OK
    elif isinstance(error, CarrierUnavailable):
        outcome = CarrierCall.Outcome.TRANSPORT
    else:
        outcome = CarrierCall.Outcome.FAULT
    record(
        {
            "merchant_id": getattr(account, "merchant_id", None),
            "account_id": getattr(account, "pk", None),
            "username": username[:100],
            "operation": operation,
            "started_at": started,
            "duration_ms": max(0, round(duration * 1000)),
            "outcome": outcome,
            "attempt": attempt,
            "fault_code": (error.fault_code if error else "")[:60],
            "fault_text": error.fault_text if error else "",
            "merchant_message": error.merchant_message if error else "",
            "request_summary": summarize(kwargs),
        }
    )
