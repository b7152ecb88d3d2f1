"""Migration operations shared by the apps."""

from __future__ import annotations

from django.db import migrations


class AddIndexOnline(migrations.AddIndex):
    """``AddIndex`` that PostgreSQL builds with ``CREATE INDEX CONCURRENTLY``: a plain build
    holds off every insert until it is done, and the tables these go on (the carrier call
    log, the support audit log) take rows on a label's purchase path and during a look-up.
    Elsewhere (SQLite) a plain ``CREATE INDEX``. The migration using it must say
    ``atomic = False``: PostgreSQL builds concurrently only outside a transaction."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(model, self.index, concurrently=True)
        else:
            schema_editor.remove_index(model, self.index)
