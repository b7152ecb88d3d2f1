"""The throwaway database every benchmark runs on.

``make bench`` runs every bench in one process, one after the other, on whatever
``DATABASE_URL`` names (SQLite by default). Each bench gets a test database of its own name
(a file in a temporary folder on SQLite, so a worker or sandbox process started by the bench
can open the same one) and drops it afterwards, leaving the connection on the database it
started from, ready for the next bench.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def throwaway_db(name: str) -> Iterator[Path]:
    """A fresh, migrated test database called ``name`` for the duration of the block; yields
    a temporary folder (holding the SQLite file) the bench may use for its own files too."""
    from django.db import connection

    with tempfile.TemporaryDirectory(prefix=f"shipdesk-{name}-") as folder:
        test = connection.settings_dict.setdefault("TEST", {})
        previous_test_name = test.get("NAME")
        test["NAME"] = (
            os.path.join(folder, f"{name}.sqlite3") if connection.vendor == "sqlite" else name
        )
        old_name = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            yield Path(folder)
        finally:
            drop_test_database(old_name)
            test["NAME"] = previous_test_name


def drop_test_database(old_name: str) -> None:
    """Destroy the bench's test database and go back to ``old_name``. On PostgreSQL the
    connections other threads or processes kept are ended first (a sandbox server's handler
    thread keeps its connection for as long as the client keeps its socket alive, and a
    worker's until it exits), or the DROP would be refused."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
    connection.creation.destroy_test_db(old_name, verbosity=0)
