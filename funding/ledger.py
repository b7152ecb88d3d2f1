"""The postage ledger (R14): the only way money movements are written.

Contract for other features (labels, voids) — call these *inside your own*
``transaction.atomic()`` block, in the same transaction that saves your state (the label row,
the void), so the label and its ledger entry commit or roll back together::

    with transaction.atomic():
        label = Label.objects.create(...)
        debit_for_label(account, label.total, reference=label.integrator_tx_id)

- ``debit_for_label(account, amount, reference, *, memo="", control_total=None)``: a label
  bought for ``amount`` (positive; written as a negative entry). ``reference`` is the label's
  IntegratorTxID (or id); it is also the idempotency key, so calling twice for one label
  writes one entry. After the transaction commits, auto-funding is checked (R13) in a
  background job; nothing else is needed from the caller.
- ``refund_for_void(account, amount, reference, *, memo="")``: a voided label's refund.
- ``record_entry(account, *, kind, amount, idempotency_key, ...)``: the general form (signed
  ``amount``); used by the purchase and adjustment services here.

Each call locks the account row (``lock_account``, FOR NO KEY UPDATE), opens the book if it
has no entry yet (``open_book_locked``: the first entry is always the carrier's balance, never
a label or a refund), appends one ``LedgerEntry`` with the running balance and moves
``CarrierAccount.balance`` by the same amount, so callers must not change the balance
themselves. Passing the carrier's ``control_total`` from the answer keeps it
current for the next PurchasePostage. Entries are never updated or deleted: corrections are
``adjustment`` entries (``record_adjustment``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import DateTimeField, DecimalField, F, Subquery, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from carriers.models import CarrierAccount
from funding.models import ZERO, LedgerEntry
from merchants.rows import prepared_cursor

CENT = Decimal("0.01")


class LedgerError(Exception):
    pass


class BookNotOpen(LedgerError):
    """No balance has been read from the carrier yet, so the book can't be opened and no
    money may move on it. ``funding.purchases.open_book`` reads it (outside a transaction)."""


def money(value: Decimal | int | float | str) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def _in_transaction() -> bool:
    if not connection.in_atomic_block:
        return False
    # Atomic blocks opened by Django's TestCase are not a caller's transaction.
    return not all(getattr(b, "_from_testcase", False) for b in connection.atomic_blocks)


def lock_account(account: CarrierAccount | int) -> CarrierAccount:
    """The account row, locked until the transaction ends: money moves one at a time.

    FOR NO KEY UPDATE, not FOR UPDATE: every row written that points at the account (a call
    log entry, a label, a ledger entry) makes PostgreSQL take a KEY SHARE lock on it, which
    FOR UPDATE blocks and NO KEY UPDATE does not. With FOR UPDATE a label's follow-up job
    waited on a funds operation, and the two could deadlock (tests/funding/test_account_lock.py).
    The balance's own UPDATE takes the same NO KEY UPDATE lock."""
    pk = account.pk if isinstance(account, CarrierAccount) else account
    return CarrierAccount.objects.select_for_update(no_key=True).get(pk=pk)


def ledger_balance(account: CarrierAccount | int) -> Decimal:
    """The running balance after the account's newest entry (0.00 with no entries)."""
    pk = account.pk if isinstance(account, CarrierAccount) else account
    last = (
        LedgerEntry.objects.filter(account_id=pk)
        .order_by("-pk")
        .values_list("balance_after", flat=True)
        .first()
    )
    return last if last is not None else ZERO


def record_entry(
    account: CarrierAccount,
    *,
    kind: str,
    amount: Decimal,
    idempotency_key: str,
    reference: str = "",
    memo: str = "",
    control_total: Decimal | None = None,
    update_balance: bool = True,
    by: User | None = None,
    fresh: bool = False,
) -> LedgerEntry:
    """Append one entry (idempotent on ``idempotency_key``). Must run inside a transaction.

    ``by``: the person whose action caused it (None: ShipDesk itself, e.g. auto-funding).
    ``fresh``: the caller knows the book is open and the key unused (``FreshEntry.run``).

    Three statements in the usual case (a label's debit is one of the purchase's few): the
    account row is locked by the statement that moves its balance, then the ledger's state is
    read, then the entry is written. The read comes after the lock on purpose: on PostgreSQL
    a statement sees what was committed before it started, and a statement that had to wait
    for the lock would still see the ledger as it was before that wait."""
    if not _in_transaction():
        raise LedgerError("Ledger entries are written inside the caller's transaction (R14).")
    if kind not in LedgerEntry.Kind.values:
        raise LedgerError(f"unknown ledger kind {kind!r}")
    amount = money(amount)
    pk = account.pk
    if fresh and update_balance:
        fresh_entry = FreshEntry(
            account, kind, amount, idempotency_key, reference, memo, control_total, by
        )
        return fresh_entry.run()
    moves = update_balance and bool(amount)
    changes: dict[str, Any] = {}
    if moves:
        changes["balance"] = F("balance") + amount
    if control_total is not None:
        # Only ever forward: the carrier's newest word (a replay may bring an older one).
        changes["control_total"] = Greatest(
            F("control_total"), Value(money(control_total), output_field=DecimalField())
        )
    if changes:
        CarrierAccount.objects.filter(pk=pk).update(**changes)  # locks the row
    else:
        lock_account(pk)
    state = (
        CarrierAccount.objects.filter(pk=pk)
        .annotate(
            last_balance=Subquery(
                LedgerEntry.objects.filter(account_id=pk)
                .order_by("-pk")
                .values("balance_after")[:1]
            ),
            existing_id=Subquery(
                LedgerEntry.objects.filter(idempotency_key=idempotency_key).values("pk")[:1]
            ),
        )
        .values("merchant_id", "balance", "control_total", "last_balance", "existing_id")
        .get()
    )
    opening = idempotency_key == opening_key(account)
    if state["existing_id"] is not None or (state["last_balance"] is None and not opening):
        # Rare: a replay, or the account's first movement. The balance moved above is put
        # back (nobody saw it: the row is locked until the caller commits) and the slow,
        # plain path runs.
        if moves:
            CarrierAccount.objects.filter(pk=pk).update(balance=F("balance") - amount)
        if state["existing_id"] is not None:
            return LedgerEntry.objects.get(pk=state["existing_id"])
        open_book_locked(lock_account(pk))
        return record_entry(
            account,
            kind=kind,
            amount=amount,
            idempotency_key=idempotency_key,
            reference=reference,
            memo=memo,
            control_total=control_total,
            update_balance=update_balance,
            by=by,
        )
    entry = LedgerEntry.objects.create(
        merchant_id=state["merchant_id"],
        account_id=pk,
        kind=kind,
        amount=amount,
        balance_after=(state["last_balance"] or ZERO) + amount,
        reference=reference[:128],
        idempotency_key=idempotency_key,
        memo=memo[:300],
        by=by,
    )
    account.balance, account.control_total = state["balance"], state["control_total"]
    return entry


class FreshEntry:
    """The two statements of a fresh entry (``run``): ``move`` moves the account's
    balance (and locks its row), then ``append`` writes the entry and returns its id and
    running balance, for ``written``. They must run in this order, as two statements of
    one transaction: the INSERT reads the running balance after the lock.

    ``only_if``: one more SQL condition (no parameters) both statements obey, for a caller
    that sends them with its own statements and writes nothing unless its own went through
    (``shipments.labels`` records a label in one round trip to PostgreSQL)."""

    def __init__(
        self,
        account: CarrierAccount,
        kind: str,
        amount: Decimal,
        idempotency_key: str,
        reference: str,
        memo: str,
        control_total: Decimal | None,
        by: User | None,
        *,
        only_if: str = "",
    ) -> None:
        accounts, entries = CarrierAccount._meta, LedgerEntry._meta
        amount_field = entries.get_field("amount")
        created_field = entries.get_field("created_at")
        assert isinstance(amount_field, DecimalField) and isinstance(created_field, DateTimeField)
        self.account, self.amount, self.control_total = account, amount, control_total
        self.entry = LedgerEntry(
            merchant_id=account.merchant_id,
            account_id=account.pk,
            kind=kind,
            amount=amount,
            reference=reference[:128],
            idempotency_key=idempotency_key,
            memo=memo[:300],
            created_at=timezone.now(),
            by=by,
        )
        delta = amount_field.get_db_prep_save(amount, connection)
        moved = f"UPDATE {accounts.db_table} SET balance = balance + CAST(%s AS NUMERIC)"
        moves: list[Any] = [delta]
        if control_total is not None:
            # Only ever forward, as ``record_entry`` does.
            total = amount_field.get_db_prep_save(money(control_total), connection)
            moved += (
                ", control_total = CASE WHEN control_total < CAST(%s AS NUMERIC) "
                "THEN CAST(%s AS NUMERIC) ELSE control_total END"
            )
            moves += [total, total]
        also = f" AND {only_if}" if only_if else ""
        self.move = (moved + " WHERE id = %s" + also, [*moves, account.pk])
        self.append = (
            f"INSERT INTO {entries.db_table} (merchant_id, account_id, kind, amount, "
            "balance_after, reference, idempotency_key, memo, created_at, by_id) "
            "SELECT %s, %s, %s, CAST(%s AS NUMERIC), "
            f"(SELECT balance_after FROM {entries.db_table} WHERE account_id = %s "
            "ORDER BY id DESC LIMIT 1) + CAST(%s AS NUMERIC), %s, %s, %s, %s, %s"
            + (f" WHERE {only_if}" if only_if else "")
            + " RETURNING id, balance_after",
            [
                account.merchant_id,
                account.pk,
                kind,
                delta,
                account.pk,
                delta,
                self.entry.reference,
                idempotency_key,
                self.entry.memo,
                created_field.get_db_prep_save(self.entry.created_at, connection),
                by.pk if by is not None else None,
            ],
        )

    def run(self) -> LedgerEntry:
        """Run ``move`` then ``append`` in the caller's transaction: ``record_entry`` for a
        caller that knows the book is open and the entry new (a label's debit: its claim says
        so). A wrong guess cannot write a wrong book: with no entry before it the running
        balance is NULL and the INSERT fails (NOT NULL), a used key fails it too (UNIQUE);
        either fails the caller's transaction with ``IntegrityError``, and the caller retries
        without ``fresh``.

        Plain SQL, both statements: on every label, the ORM spent about 2 ms of Python
        building them, more than the database took (``make bench``: label_cost). Values are
        prepared by the model fields, as the ORM would."""
        with prepared_cursor() as cursor:
            cursor.execute(*self.move)  # locks the row
            cursor.execute(*self.append)
            row = cursor.fetchone()
        return self.written(row)

    def written(self, row: tuple[Any, Any]) -> LedgerEntry:
        """The entry, from the (id, running balance) ``append`` returned; the account in
        memory moves as its row did."""
        entry = self.entry
        entry.pk = row[0]
        entry.balance_after = money(row[1])  # SQLite answers a float
        entry._state.adding = False
        account = self.account
        account.balance = account.balance + self.amount
        if self.control_total is not None:
            account.control_total = max(account.control_total, money(self.control_total))
        return entry


def _label_debit(
    account: CarrierAccount, amount: Decimal, reference: str, *, memo: str = ""
) -> tuple[str, Decimal, str, str]:
    """A label's debit as ``record_entry`` takes it: (kind, signed amount, idempotency key,
    memo). One key per label on the account, so a label is never debited twice."""
    if money(amount) < 0:
        raise LedgerError("a label's debit takes the (positive) label amount")
    return (
        LedgerEntry.Kind.LABEL,
        -money(amount),
        f"label:{account.pk}:{reference}",
        memo or "Label",
    )


def fresh_label_debit(
    account: CarrierAccount,
    amount: Decimal,
    reference: str,
    *,
    memo: str = "",
    control_total: Decimal | None = None,
    by: User | None = None,
    only_if: str = "",
) -> FreshEntry:
    """``debit_for_label(..., fresh=True)`` as statements for the caller to send
    (``FreshEntry``); auto-funding is the caller's to check."""
    kind, signed, key, memo = _label_debit(account, amount, reference, memo=memo)
    return FreshEntry(
        account, kind, signed, key, reference, memo, control_total, by, only_if=only_if
    )


def debit_for_label(
    account: CarrierAccount,
    amount: Decimal,
    reference: str,
    *,
    memo: str = "",
    control_total: Decimal | None = None,
    by: User | None = None,
    check_auto_funding: bool = True,
    fresh: bool = False,
) -> LedgerEntry:
    """A label's postage leaves the balance; auto-funding is checked after commit (R13).

    ``check_auto_funding=False``: the caller runs the check itself, after commit (a label's
    follow-up job does, so a purchase queues one job, not two). ``fresh``: see
    ``record_entry``."""
    kind, signed, key, memo = _label_debit(account, amount, reference, memo=memo)
    entry = record_entry(
        account,
        kind=kind,
        amount=signed,
        idempotency_key=key,
        reference=reference,
        memo=memo,
        control_total=control_total,
        by=by,
        fresh=fresh,
    )
    if check_auto_funding:
        account_id = account.pk
        transaction.on_commit(lambda: schedule_auto_funding_check(account_id))
    return entry


def refund_for_void(
    account: CarrierAccount,
    amount: Decimal,
    reference: str,
    *,
    memo: str = "",
    by: User | None = None,
) -> LedgerEntry:
    """A voided label's postage comes back (R27)."""
    if money(amount) < 0:
        raise LedgerError("refund_for_void takes the (positive) refunded amount")
    return record_entry(
        account,
        kind=LedgerEntry.Kind.VOID_REFUND,
        amount=money(amount),
        idempotency_key=f"void:{account.pk}:{reference}",
        reference=reference,
        memo=memo or "Void refund",
        by=by,
    )


def record_adjustment(
    account: CarrierAccount,
    amount: Decimal,
    memo: str,
    *,
    idempotency_key: str,
    update_balance: bool = False,
) -> LedgerEntry:
    """A correction (opening balance, reconciliation). By default the account's balance is
    already the carrier's word, so only the ledger moves."""
    return record_entry(
        account,
        kind=LedgerEntry.Kind.ADJUSTMENT,
        amount=amount,
        idempotency_key=idempotency_key,
        memo=memo,
        update_balance=update_balance,
    )


def opening_key(account: CarrierAccount) -> str:
    return f"opening:{account.pk}"


def open_book_locked(locked: CarrierAccount) -> LedgerEntry | None:
    """The one place a book is opened: called under the account's row lock before any first
    entry (``record_entry``) and by every balance sync. The opening is the carrier's balance
    as last read (``balance_synced_at``): with no entry written yet nothing has moved
    ``balance`` since that read. With no read yet there is nothing true to open with, so the
    movement is refused (``BookNotOpen``) rather than written to a book that would stay short
    by the whole starting balance forever (issue 20)."""
    if LedgerEntry.objects.filter(account_id=locked.pk).exists():
        return None
    if locked.balance_synced_at is None:
        raise BookNotOpen(
            f"The balance of {locked} has not been read from Stamps.com yet, so its ledger "
            "can't be opened; read it (sync the balance) before moving money."
        )
    return record_entry(
        locked,
        kind=LedgerEntry.Kind.ADJUSTMENT,
        amount=locked.balance,
        idempotency_key=opening_key(locked),
        memo="Opening balance at Stamps.com",
        update_balance=False,
    )


def ensure_opening_balance(account: CarrierAccount) -> LedgerEntry | None:
    """The first entry of an account's ledger: what the carrier held when ShipDesk started
    keeping it (its balance must have been read: ``balance_synced_at``). Call inside a
    transaction; locks the account."""
    if not _in_transaction():
        raise LedgerError("Ledger entries are written inside the caller's transaction (R14).")
    return open_book_locked(lock_account(account))


def book_is_open(account: CarrierAccount | int) -> bool:
    pk = account.pk if isinstance(account, CarrierAccount) else account
    return LedgerEntry.objects.filter(account_id=pk).exists()


def open_ledger(sender: object, account: CarrierAccount, **kwargs: object) -> None:
    """carriers.signals.account_connected: a new account's ledger opens at its balance."""
    ensure_opening_balance(account)


def schedule_auto_funding_check(account_id: int) -> None:
    from django_q.tasks import async_task

    async_task(
        "funding.jobs.check_auto_funding",
        account_id,
        task_name=f"autofund-{account_id}",
        cluster=settings.Q_SHORT_CLUSTER,  # named: a batch's worker would queue it for itself
    )
