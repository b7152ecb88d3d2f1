"""Substring search that does not grow with the orders: pg_trgm GIN indexes on PostgreSQL.

Django's ``icontains`` is ``UPPER(col::text) LIKE UPPER('%term%')`` on PostgreSQL, so each
index is on that expression. SQLite has no trigram index: there the search scans the
merchant's orders (fine for one-host set-ups; see README "Scaling")."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = [
    ("orders_order_number_trgm", "orders_order", "number"),
    ("orders_order_recipient_trgm", "orders_order", "recipient_name"),
    ("orders_order_email_trgm", "orders_order", "email"),
    ("orders_item_sku_trgm", "orders_orderitem", "sku"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("orders", "0007_saved_views")]

    # TrigramExtension does nothing on other databases; the indexes are made only on PostgreSQL.
    operations = [TrigramExtension(), migrations.RunPython(create, drop)]
