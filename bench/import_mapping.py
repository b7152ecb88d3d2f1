"""The column-mapping page of a wide CSV: render time at the column cap and far beyond it.

Issue 13: the page used to be quadratic in the number of columns (1,000 columns took 8.8 s,
2,000 took 41 s). Uploads are now refused above ORDERS_IMPORT_MAX_COLUMNS; the page itself
is linear, shown here by rendering it at the cap and, with the cap lifted, at 5,000 columns
(a job stored before the cap existed). Fails when 5,000 columns take more than TARGET_SECONDS.

Run: python -m bench import_mapping
"""

from __future__ import annotations

import os
import statistics
import time

RUNS = 3
TARGET_SECONDS = 5.0


def wide_csv(columns: int, rows: int = 3) -> str:
    header = ",".join(f"Column {i}" for i in range(columns))
    body = "\n".join(",".join(f"r{r}c{i}" for i in range(columns)) for r in range(rows))
    return f"{header}\n{body}\n"


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipdesk.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from bench._db import throwaway_db

    settings.DEBUG = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cap = settings.ORDERS_IMPORT_MAX_COLUMNS
    settings.ORDERS_IMPORT_MAX_COLUMNS = 10_000
    failed = 0
    with throwaway_db("bench_import_mapping"):
        from tests.factories import make_import_job, make_merchant

        merchant = make_merchant("Bench Mapping", owner_email="mapping@bench.test")
        client = Client()
        client.force_login(merchant.memberships.get().user)
        per_column = {}
        for columns in (cap, 1_000, 5_000):
            job = make_import_job(merchant, status="needs_mapping", content=wide_csv(columns))
            url = f"/orders/import/{job.pk}/mapping/"
            times = []
            for _ in range(RUNS):
                started = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, response.status_code
            median = statistics.median(times)
            per_column[columns] = median / columns
            verdict = ""
            if columns == 5_000:
                verdict = " ok" if median <= TARGET_SECONDS else " FAIL"
                failed = int(median > TARGET_SECONDS)
            label = f"{columns:,} columns" + (" (the cap)" if columns == cap else "")
            print(
                f"mapping page, {label}: median {median:.3f} s over {RUNS} renders,"
                f" {1000 * median / columns:.2f} ms per column{verdict}"
            )
        growth = per_column[5_000] / per_column[cap]
        print(f"  time per column at 5,000 vs at {cap}: {growth:.2f}x (1x = linear)")
    return failed
