"""Tracking-number search that does not grow with the shipments: a pg_trgm GIN index on
PostgreSQL (orders/migrations/0008_trigram_search.py says why the expression).

SQLite has no trigram index: there the search scans the merchant's shipments."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = [("shipments_tracking_trgm", "shipments_shipment", "tracking_number")]


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
    dependencies = [("shipments", "0006_carrier_label_images"), ("orders", "0008_trigram_search")]

    # TrigramExtension does nothing on other databases; the indexes are made only on PostgreSQL.
    operations = [TrigramExtension(), migrations.RunPython(create, drop)]
