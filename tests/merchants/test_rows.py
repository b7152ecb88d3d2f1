"""merchants.rows: one row inserted or updated in plain SQL stores exactly what the ORM's
``save()`` and ``update()`` store, and statements run together are written all or none (on
SQLite here, on PostgreSQL in CI's second pass, where they also take one round trip)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from merchants.rows import insert_row, run_together, update_row, update_statement
from orders.models import Order
from shipments.models import Shipment
from tests.factories import make_carrier_account, make_merchant, make_order, make_ship_from
from tests.support import executed, postgres_messages, round_trips

pytestmark = pytest.mark.django_db

SKIP = {"id", "integrator_tx_id", "created_at"}  # the row's own: number, fresh id, clock


def _values(obj) -> dict:
    obj.refresh_from_db()
    return {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.attname not in SKIP
    }


@pytest.fixture
def parts():
    merchant = make_merchant("Rows", "rows@example.com")
    ship_from = make_ship_from(merchant)
    return {
        "merchant": merchant,
        "account": make_carrier_account(merchant),
        "ship_from": ship_from,
    }


def _shipment(parts, **extra) -> Shipment:
    """A label of its own order (an order has one live label at most)."""
    parts = dict(parts)
    parts["order"] = make_order(
        parts["merchant"], f"R-{Order.objects.count() + 1}", ship_from=parts["ship_from"]
    )
    return Shipment(
        **parts,
        service="US-PM",
        service_name="Priority Mail",
        package_type="Package",
        weight_oz=Decimal("20.5"),
        postage=Decimal("9.40"),
        amount=Decimal("10.15"),
        add_ons=["US-A-DC", "US-A-INS"],
        ship_date=dt.date(2026, 6, 11),
        to_name="Jane Receiver",
        to_country="US",
        **extra,
    )


def test_an_inserted_row_holds_what_save_would_have_stored(parts):
    saved = _shipment(parts)
    saved.save()
    written = _shipment(parts, status=Shipment.Status.FAILED)
    saved_again = _shipment(parts, status=Shipment.Status.FAILED)
    saved_again.save()
    pk = insert_row(written)
    assert pk == written.pk and not written._state.adding
    assert Shipment.objects.filter(pk=pk).exists()
    mine, theirs = _values(written), _values(saved_again)
    assert mine.pop("order_id") != theirs.pop("order_id")
    assert mine == theirs
    assert written.add_ons == ["US-A-DC", "US-A-INS"] and written.weight_oz == Decimal("20.5")
    assert written.integrator_tx_id and written.integrator_tx_id != saved.integrator_tx_id


def test_an_inserted_row_gets_its_defaults_and_creation_time():
    merchant = make_merchant("Rows", "rows@example.com")
    order = Order(merchant=merchant, number="R-9", order_date=timezone.now())
    insert_row(order)
    order.refresh_from_db()
    assert order.created_at is not None and order.updated_at is not None  # auto_now(_add)
    assert order.status == Order.Status.AWAITING_SHIPMENT  # the field's default


def test_a_conflicting_insert_raises_and_leaves_no_row(parts):
    first = _shipment(parts)
    insert_row(first)
    twin = _shipment(parts, integrator_tx_id=first.integrator_tx_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_row(twin)
    assert Shipment.objects.filter(integrator_tx_id=first.integrator_tx_id).count() == 1


def test_an_update_changes_what_queryset_update_changes_and_only_when_allowed(parts):
    by_orm, by_row = _shipment(parts), _shipment(parts)
    by_orm.save()
    by_row.save()
    now = timezone.now()
    changes = {
        "status": Shipment.Status.BOUGHT,
        "tracking_number": "9205511000000000000018",
        "amount": Decimal("11.25"),
        "add_ons": ["US-A-SC"],
        "bought_at": now,
        "failure": "",
    }
    allowed = [Shipment.Status.BUYING, Shipment.Status.FAILED]
    Shipment.objects.filter(pk=by_orm.pk, status__in=allowed).update(**changes)
    assert update_row(Shipment, by_row.pk, changes, only_if={"status": allowed}) == 1
    mine, theirs = _values(by_row), _values(by_orm)
    assert mine.pop("order_id") != theirs.pop("order_id")
    assert mine == theirs
    assert by_row.bought_at == now and by_row.amount == Decimal("11.25")
    # Bought now: a second claim finds nothing to change.
    again = {**changes, "tracking_number": "other"}
    assert update_row(Shipment, by_row.pk, again, only_if={"status": allowed}) == 0
    by_row.refresh_from_db()
    assert by_row.tracking_number == "9205511000000000000018"


def test_an_update_names_a_foreign_key_by_its_attribute(parts):
    shipment = _shipment(parts)
    shipment.save()
    other = make_order(parts["merchant"], "R-other", ship_from=parts["ship_from"])
    assert update_row(Shipment, shipment.pk, {"order_id": other.pk}) == 1
    shipment.refresh_from_db()
    assert shipment.order_id == other.pk
    assert update_row(Shipment, 0, {"order_id": other.pk}) == 0  # no such row


# Statements run together (run_together). Outside any transaction, as a label is recorded:
# on PostgreSQL that is the one-round-trip path (inside one, they run one at a time).
together = pytest.mark.django_db(transaction=True)


def _renamed(order: Order, name: str) -> tuple[str, list]:
    sql, params = update_statement(Order, {"recipient_name": name}, pk=order.pk)
    return f"{sql} RETURNING id", params


def _names(*orders: Order) -> list[str]:
    return [Order.objects.get(pk=o.pk).recipient_name for o in orders]


@pytest.fixture
def two_orders(parts):
    merchant, ship_from = parts["merchant"], parts["ship_from"]
    return (
        make_order(merchant, "T-1", ship_from=ship_from, recipient_name="Before"),
        make_order(merchant, "T-2", ship_from=ship_from, recipient_name="Before"),
    )


@together
def test_statements_run_together_answer_each_its_own_rows(two_orders):
    first, second = two_orders
    nothing = update_statement(Order, {"recipient_name": "Nobody"}, pk=0)
    answers = run_together([_renamed(first, "Ann"), nothing, _renamed(second, "Bea")])
    assert answers == [[(first.pk,)], [], [(second.pk,)]]
    assert _names(first, second) == ["Ann", "Bea"]


@together
def test_a_failing_statement_writes_none_of_those_run_with_it(two_orders):
    first, second = two_orders
    taken = ("UPDATE orders_order SET number = %s WHERE id = %s", [first.number, second.pk])
    with pytest.raises(IntegrityError):  # Django's, whatever the database
        run_together([_renamed(first, "Ann"), taken, _renamed(second, "Bea")])
    assert _names(first, second) == ["Before", "Before"]
    # The connection is usable afterwards, and the next statements go through.
    run_together([_renamed(first, "Cy")])
    assert _names(first) == ["Cy"]


@together
def test_statements_interrupted_half_way_write_none(two_orders):
    """A statement that never reaches the database (a value the driver cannot send, or a
    worker interrupted) after others were sent: those are not written either."""
    first, second = two_orders
    unsendable = ("UPDATE orders_order SET recipient_name = %s WHERE id = %s", [object(), 1])
    with pytest.raises(Exception) as raised:  # noqa: PT011  the driver's own error
        run_together([_renamed(first, "Ann"), unsendable, _renamed(second, "Bea")])
    assert not isinstance(raised.value, AssertionError)
    assert _names(first, second) == ["Before", "Before"]
    run_together([_renamed(second, "Dee")])
    assert _names(first, second) == ["Before", "Dee"]


def test_inside_a_transaction_they_belong_to_it(two_orders):
    first, second = two_orders
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        run_together([_renamed(first, "Ann"), _renamed(second, "Bea")])
        raise ZeroDivisionError  # the caller's transaction fails after them
    assert _names(first, second) == ["Before", "Before"]


@together
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only (CI=true runs it)")
def test_on_postgresql_statements_run_together_take_one_round_trip(two_orders):
    first, second = two_orders
    with postgres_messages() as messages:
        run_together([_renamed(first, "Ann"), _renamed(second, "Bea"), _renamed(first, "Cy")])
    assert executed(messages) == 3
    assert round_trips(messages) == 1, messages
    assert _names(first, second) == ["Cy", "Bea"]
