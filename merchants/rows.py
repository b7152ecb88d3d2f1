"""One row written in plain SQL, for the few hot paths where the ORM's own Python costs more
than the database's work: a label's purchase reserves its row and records it with these
(``make bench``: label_cost; building each statement through the ORM's compiler took about
0.5 ms of CPU, as long as the database took to run it).

On PostgreSQL these statements are also prepared (``prepared_cursor``): parsed and planned
once per connection instead of on every label, and several can travel together as one
transaction in one round trip (``run_together``).

Values are prepared by the model's own fields, as the ORM prepares them (``pre_save`` on
insert, ``get_db_prep_save``), so what is stored is what ``Model.save()`` and
``QuerySet.update()`` would have stored; tests/merchants/test_rows.py compares the two. No
signals are sent: neither caller has receivers for these models. Statement texts are built
once per model and set of columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Field, Model
from psycopg import Pipeline, pq

type Statement = tuple[str, Sequence[Any]]


def prepared_cursor() -> CursorWrapper:
    """A cursor whose statements PostgreSQL keeps parsed and planned on this connection once
    one has run ``prepare_threshold`` times (settings): psycopg's server-side binding and
    automatic prepared statements. Elsewhere, Django's own cursor.

    Django's cursors bind parameters on the client, which never prepares, because the ORM's
    SQL is not always valid with server-side parameters (Django ticket #20516); this cursor
    is only for the hand-written statements of the hot paths. Planning the purchase's one
    read had taken PostgreSQL 0.54 ms a label and running it 0.22 ms; prepared, 0.01 and
    0.04 ms (``make bench``: label_cost with ``BENCH_PG_STATEMENTS``)."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    # What connection.cursor() does, with the server-binding cursor in place of its own:
    # the same checks, and the same wrapper (query logging, execute_wrapper, error mapping).
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = ServerBindingCursor(connection.connection)  # type: ignore[call-arg]
    # (django-stubs type the wrappers' argument as a wrapper; Django passes the raw cursor.)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)  # type: ignore[arg-type]
    return connection.make_cursor(raw)  # type: ignore[arg-type]


def run_together(statements: Sequence[Statement]) -> list[list[tuple[Any, ...]]]:
    """Run ``statements`` in order as one transaction, all or nothing, and return the rows
    each one answered ([] for a statement that answers none). A failed statement raises
    Django's exception (``IntegrityError``...) and none of them is written.

    On PostgreSQL outside a transaction they travel in one round trip, prepared
    (``prepared_cursor``): psycopg's pipeline mode, in which the statements sent before one
    Sync message run as one implicit transaction, committed at the Sync, or rolled back
    when any of them fails. Inside a caller's transaction, on another database, or with a
    libpq older than 14 (no pipeline mode; psycopg's binary package brings its own), one at
    a time in ``transaction.atomic()``."""
    if (
        connection.vendor != "postgresql"
        or connection.in_atomic_block
        or not Pipeline.is_supported()
    ):
        with transaction.atomic():
            return [_run(statement) for statement in statements]
    cursors = [prepared_cursor() for _ in statements]
    try:
        with connection.wrap_database_errors, connection.connection.pipeline():
            try:
                for cursor, (sql, params) in zip(cursors, statements, strict=True):
                    cursor.execute(sql, params)
            except BaseException:
                # Statements already sent would be committed by the Sync that ends the
                # pipeline: a ROLLBACK before it ends their implicit transaction instead (an
                # interrupted worker, a value psycopg could not send). One the server failed
                # has aborted it already.
                if connection.connection.pgconn.pipeline_status != pq.PipelineStatus.ABORTED:
                    cursors[0].cursor.execute("ROLLBACK")
                raise
        return [_answer(cursor) for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


def _run(statement: Statement) -> list[tuple[Any, ...]]:
    with prepared_cursor() as cursor:
        cursor.execute(*statement)
        return _answer(cursor)


def _answer(cursor: CursorWrapper) -> list[tuple[Any, ...]]:
    """The rows a statement answered; none for one that answers no rows (an UPDATE without
    RETURNING), where fetching would raise."""
    return cursor.fetchall() if cursor.description else []


@cache
def _insert_sql(model: type[Model], columns: tuple[str, ...], returning: bool) -> str:
    quote = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None and pk.column is not None
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    return sql + f" RETURNING {quote(pk.column)}" if returning else sql


def insert_row(obj: Model) -> Any:
    """INSERT ``obj``, not saved yet, as ``obj.save()`` would write a new row (defaults and
    ``auto_now_add`` included); sets and returns its primary key."""
    meta = obj._meta
    fields: list[Field[Any, Any]] = [
        f
        for f in meta.concrete_fields
        if not (f.primary_key and getattr(obj, f.attname) is None)  # the database numbers it
    ]
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    returning = connection.features.can_return_columns_from_insert
    sql = _insert_sql(type(obj), tuple(f.column for f in fields), returning)
    with prepared_cursor() as cursor:
        cursor.execute(sql, values)
        pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias
    return pk


@cache
def _update_sql(
    model: type[Model],
    columns: tuple[str, ...],
    by_pk: bool,
    conditions: tuple[tuple[str, int], ...],
    also: str,
) -> str:
    quote = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None and pk.column is not None
    where = [f"{quote(pk.column)} = %s"] if by_pk else []
    where += [f"{quote(c)} IN ({', '.join(['%s'] * n)})" for c, n in conditions]
    where += [also] if also else []
    return (
        f"UPDATE {quote(model._meta.db_table)} SET "
        f"{', '.join(f'{quote(c)} = %s' for c in columns)} WHERE {' AND '.join(where)}"
    )


def update_statement(
    model: type[Model],
    changes: Mapping[str, Any],
    *,
    pk: Any = None,
    only_if: Mapping[str, Sequence[Any]] | None = None,
    also: str = "",
) -> tuple[str, list[Any]]:
    """The UPDATE ``update_row`` runs, and its parameters, for a caller that sends it with
    others (``run_together``: ``shipments.labels`` records a label in one round trip on
    PostgreSQL). Rows are chosen by ``pk`` and/or ``only_if``; ``also`` is one more SQL
    condition, without parameters."""
    meta = model._meta
    fields = [meta.get_field(name) for name in changes]
    tests = [(meta.get_field(name), list(values)) for name, values in (only_if or {}).items()]
    if pk is None and not tests:
        raise ValueError("update_statement needs pk or only_if: it never updates every row")
    params: list[Any] = [
        f.get_db_prep_save(value, connection)  # type: ignore[union-attr]
        for f, value in zip(fields, changes.values(), strict=True)
    ]
    if pk is not None:
        params.append(pk)
    for field, values in tests:
        params += [field.get_db_prep_value(v, connection) for v in values]  # type: ignore[union-attr]
    sql = _update_sql(
        model,
        tuple(_column(f) for f in fields),
        pk is not None,
        tuple((_column(f), len(values)) for f, values in tests),
        also,
    )
    return sql, params


def update_row(
    model: type[Model],
    pk: Any,
    changes: Mapping[str, Any],
    *,
    only_if: Mapping[str, Sequence[Any]] | None = None,
) -> int:
    """``model.objects.filter(pk=pk, **{f"{name}__in": values for only_if}).update(**changes)``
    in plain SQL: the number of rows changed (0 or 1). ``changes`` and ``only_if`` name
    fields (a foreign key by its attribute, ``order_id``) and hold plain values."""
    sql, params = update_statement(model, changes, pk=pk, only_if=only_if)
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _column(field: Any) -> str:
    return field.column
