"""The account lock and the rows that point at the account, on PostgreSQL (real threads, real
locks).

Funds operations lock the account row to move money one at a time (R14). Meanwhile a label's
follow-up job writes the carrier call log, and purchases write ledger entries and labels, all
rows that point at the account: PostgreSQL checks each such reference by taking a KEY SHARE
lock on the account row. A FOR UPDATE lock conflicts with it, and the two kinds of work then
wait on each other: the 60-second concurrency bench ended in "deadlock detected" that way.
The account is locked FOR NO KEY UPDATE, which serializes the money and lets references be.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from carriers.models import CarrierAccount, CarrierCall
from funding import ledger

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks (CI=true runs it)"
    ),
]


def _log_a_call(account: CarrierAccount, operation: str) -> None:
    CarrierCall.objects.create(
        merchant_id=account.merchant_id,
        account=account,
        username=account.username,
        operation=operation,
        started_at=timezone.now(),
        outcome="ok",
    )


def _holding_the_lock(account: CarrierAccount, before_lock=None):
    """A funds transaction in another thread: it moves the balance (``before_lock``), locks
    the account and keeps it locked until released. Returns (locked, release, thread, errors)."""
    locked, release = threading.Event(), threading.Event()
    errors: list[Exception] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                if before_lock is not None:
                    before_lock()
                ledger.lock_account(account)
                locked.set()
                release.wait(20)
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            locked.set()
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    return locked, release, thread, errors


def test_the_call_log_is_written_while_a_funds_operation_holds_the_account(sandbox_account):
    account = sandbox_account(balance="100.00")
    locked, release, holder, errors = _holding_the_lock(account)
    try:
        assert locked.wait(20)
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Waiting would mean the lock blocks references: fail fast instead of hanging.
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            _log_a_call(account, "CreateIndicium")
    finally:
        release.set()
        holder.join(30)
    assert errors == []
    assert CarrierCall.objects.filter(account=account).count() == 1


def test_a_follow_up_job_and_a_funds_operation_on_one_account_never_deadlock(sandbox_account):
    """The interleaving the concurrency bench met: a funds transaction moves the balance; a
    label's follow-up logs a call; the funds transaction locks the account; the follow-up
    logs its next call. Both must finish, and quickly."""
    account = sandbox_account(balance="100.00")
    moved, logged_first = threading.Event(), threading.Event()

    def move_balance() -> None:
        CarrierAccount.objects.filter(pk=account.pk).update(balance=Decimal("99.00"))
        moved.set()
        assert logged_first.wait(20)

    follow_up_errors: list[Exception] = []
    locked, release, holder, errors = _holding_the_lock(account, before_lock=move_balance)
    try:
        with transaction.atomic():
            assert moved.wait(20)
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '5s'")
            _log_a_call(account, "CleanseAddress")
            logged_first.set()
            # Time for the funds thread to ask for its lock before this writes again.
            locked.wait(1)
            _log_a_call(account, "CreateIndicium")
    except Exception as exc:  # a deadlock or a lock timeout
        follow_up_errors.append(exc)
    finally:
        release.set()
        holder.join(30)
    assert follow_up_errors == [] and errors == []
    assert CarrierCall.objects.filter(account=account).count() == 2
    account.refresh_from_db()
    assert account.balance == Decimal("99.00")
