"""A label bought outside any transaction on PostgreSQL is recorded in one round trip: the
claim, the debit, the order and the batch item sent together, run by PostgreSQL as one
transaction (``shipments.labels._record_in_one_round_trip``, ``merchants.rows.run_together``).
The same guarantees as the transaction it replaces: all or nothing, nothing written when
another recorder took the label, and the ledger's running balance read after the account's
lock. And the purchase's own statements are prepared: after the first few labels, PostgreSQL
no longer parses and plans them.

PostgreSQL only (SQLite records in a transaction, tests/shipments/test_labels.py); `make test`
runs these with CI=true.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from funding import ledger
from funding.models import LedgerEntry
from orders.models import Order
from shipments import labels
from shipments.models import Shipment
from tests.support import executed, postgres_messages, round_trips

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL only (CI=true runs it)"
    ),
]


def _book(account) -> list[tuple[str, Decimal, Decimal]]:
    return list(
        LedgerEntry.objects.filter(account=account)
        .order_by("pk")
        .values_list("kind", "amount", "balance_after")
    )


def _assert_book_adds_up(account) -> None:
    book = _book(account)
    for (_, _, before), (_, amount, after) in zip(book, book[1:], strict=False):
        assert after == before + amount, book


def _keep_record_args(monkeypatch) -> list[tuple]:
    """Each ``_record`` call's arguments, the call itself going ahead."""
    seen: list[tuple] = []
    real = labels._record

    def keep(*args, **kwargs):
        seen.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(labels, "_record", keep)
    return seen


def _defer_follow_ups(monkeypatch) -> Callable[[], int]:
    """Labels' follow-up jobs held back (in tests they run inline, with queries of their
    own, inside what a test watches); the function returned runs those held so far and
    says how many."""
    real_follow_up = labels._queue_follow_up
    follow_ups: list[tuple] = []
    monkeypatch.setattr(labels, "_queue_follow_up", lambda *args: follow_ups.append(args))

    def run_held() -> int:
        held = len(follow_ups)
        while follow_ups:
            real_follow_up(*follow_ups.pop())
        return held

    return run_held


def _watch_recording(monkeypatch) -> list[tuple[list[str], list[str]]]:
    """For each label recorded: (the SQL Django ran, the messages exchanged with PostgreSQL)
    while ``_record`` ran. Its follow-up job runs after, outside what is watched."""
    watched: list[tuple[list[str], list[str]]] = []
    real_record = labels._record
    run_follow_ups = _defer_follow_ups(monkeypatch)

    def watch(*args, **kwargs):
        with CaptureQueriesContext(connection) as captured, postgres_messages() as messages:
            recorded = real_record(*args, **kwargs)
        watched.append(([q["sql"] for q in captured.captured_queries], messages))
        run_follow_ups()
        return recorded

    monkeypatch.setattr(labels, "_record", watch)
    return watched


def test_the_label_its_debit_and_its_order_go_in_one_round_trip(
    stamps, account, make_shippable, monkeypatch
):
    labels.buy_label(make_shippable(), account, "US-PM")  # the book opened
    order = make_shippable()
    before = ledger.ledger_balance(account)
    watched = _watch_recording(monkeypatch)
    shipment = labels.buy_label(order, account, "US-PM")

    [(sql, messages)] = watched
    # Claim, balance, entry, order: four statements, one wait for PostgreSQL's answer.
    assert len(sql) == 4, sql
    assert 'UPDATE "shipments_shipment"' in sql[0] and "carriers_carrieraccount" in sql[1]
    assert "funding_ledgerentry" in sql[2] and "orders_order" in sql[3]
    assert executed(messages) == 4, messages
    assert round_trips(messages) == 1, messages
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.BOUGHT and shipment.tracking_number
    assert Order.objects.get(pk=order.pk).status == Order.Status.SHIPPED
    kind, amount, after = _book(account)[-1]
    assert (kind, amount) == (LedgerEntry.Kind.LABEL, -shipment.amount)
    assert after == before - shipment.amount == ledger.ledger_balance(account)
    account.refresh_from_db()
    assert account.balance == stamps.get_balance(account.username)


def test_after_a_few_labels_the_purchase_sends_its_statements_without_their_text(
    stamps, account, make_shippable, monkeypatch
):
    """Prepared statements: the read before the carrier, the reservation and the recording
    are parsed and planned by PostgreSQL once on a connection, then only named."""
    for _ in range(6):  # psycopg prepares a statement on its 5th run (settings)
        labels.buy_label(make_shippable(), account, "US-PM")
    order = make_shippable()
    run_follow_ups = _defer_follow_ups(monkeypatch)
    with postgres_messages() as messages:
        shipment = labels.buy_label(order, account, "US-PM")
    assert run_follow_ups() == 1

    assert shipment.status == Shipment.Status.BOUGHT
    sent = [line for line in messages if line.startswith("F\t")]
    texts = " ".join(line for line in sent if "\tParse\t" in line or "\tQuery\t" in line)
    named = [line for line in sent if '\tBind\t "" "_pg' in line]
    for statement in (
        "cutoff_time",  # the read before the carrier
        'INSERT INTO "shipments_shipment"',  # the reservation
        "set_config",  # the claim
        "carriers_carrieraccount",  # the balance
        "funding_ledgerentry",  # the entry
        'UPDATE "orders_order" SET "status"',  # the order shipped
    ):
        assert statement not in texts, texts
    assert len(named) >= 6, sent  # read, reservation, claim, balance, entry, order


def test_a_label_another_recorder_took_is_not_recorded_twice(
    stamps, account, make_shippable, monkeypatch
):
    """The buyer and the sweep both hold the carrier's answer: the second claim finds the
    label bought and writes nothing, not even the debit sent with it."""
    seen = _keep_record_args(monkeypatch)
    order = make_shippable()
    labels.buy_label(order, account, "US-PM")
    book = _book(account)
    account.refresh_from_db()
    balance = account.balance

    shipment, indicium, batch_item_id = seen[-1]
    shipment.status = Shipment.Status.BUYING  # as the second recorder last saw it
    again = labels._record(shipment, indicium, batch_item_id)

    assert again.status == Shipment.Status.BOUGHT
    assert _book(account) == book
    account.refresh_from_db()
    assert account.balance == balance
    assert Shipment.objects.filter(order=order).count() == 1


def test_the_debit_reads_the_running_balance_after_waiting_for_the_account(
    stamps, account, make_shippable, monkeypatch
):
    """Another transaction holds the account with an entry of its own while the label is
    recorded: the label's entry must count it. (A single statement would read the book as
    it was before its wait and write a wrong running balance.)"""
    labels.buy_label(make_shippable(), account, "US-PM")  # the book opened
    locked, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_the_account() -> None:
        try:
            with transaction.atomic():
                ledger.record_adjustment(
                    account, Decimal("7.00"), "Found in the drawer", idempotency_key="held"
                )
                locked.set()
                release.wait(timeout=30)
        except BaseException as exc:  # reported below
            errors.append(exc)
            locked.set()
        finally:
            connection.close()

    real = labels._record

    def record_while_held(*args, **kwargs):
        holder = threading.Thread(target=hold_the_account)
        holder.start()
        assert locked.wait(timeout=30)
        # The holder commits a moment after the recording started waiting for the account.
        threading.Timer(0.5, release.set).start()
        try:
            return real(*args, **kwargs)
        finally:
            holder.join(timeout=30)

    monkeypatch.setattr(labels, "_record", record_while_held)
    shipment = labels.buy_label(make_shippable(), account, "US-PM")

    assert errors == []
    book = _book(account)
    assert [kind for kind, _, _ in book[-2:]] == [
        LedgerEntry.Kind.ADJUSTMENT,
        LedgerEntry.Kind.LABEL,
    ]
    assert book[-1][2] == book[-2][2] - shipment.amount
    _assert_book_adds_up(account)


def test_a_wrong_quick_guess_writes_nothing_and_the_careful_path_debits_once(
    stamps, account, make_shippable, monkeypatch
):
    """The round trip's quick debit assumes the label's key unused; when it is not,
    PostgreSQL rolls all its statements back (the claim too) and the transaction path
    records the label, finding the debit already there."""
    labels.buy_label(make_shippable(), account, "US-PM")  # the book opened
    real = labels._record
    messages: list[str] = []

    def debited_already(shipment, indicium, batch_item_id=None):
        with transaction.atomic():
            ledger.debit_for_label(
                shipment.account,
                indicium.total,
                reference=shipment.integrator_tx_id,
                check_auto_funding=False,
            )
        with CaptureQueriesContext(connection) as captured:
            recorded = real(shipment, indicium, batch_item_id)
        messages.extend(q["sql"] for q in captured.captured_queries)
        return recorded

    monkeypatch.setattr(labels, "_record", debited_already)
    order = make_shippable()
    shipment = labels.buy_label(order, account, "US-PM")

    assert any("set_config" in sql for sql in messages)  # the one round trip was tried first
    assert shipment.status == Shipment.Status.BOUGHT
    assert Order.objects.get(pk=order.pk).status == Order.Status.SHIPPED
    debits = LedgerEntry.objects.filter(
        account=account, kind=LedgerEntry.Kind.LABEL, reference=shipment.integrator_tx_id
    )
    assert debits.count() == 1
    _assert_book_adds_up(account)
