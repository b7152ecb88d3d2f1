"""The scale test's long form (short form: tests/proof/test_scale.py): 2,000 labels over four
merchants, bought by three long-job clusters on Redis and PostgreSQL, one SIGKILLed in the
middle of a batch. Reports duplicates, stuck batches, ledger against carrier, the peak calls
in flight per account against STAMPS_MAX_IN_FLIGHT, and the wall time.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL; without them it says so and skips.
Run: python -m bench scale   (SCALE_MERCHANTS=4, SCALE_LABELS_PER_MERCHANT=500,
SCALE_IN_FLIGHT=10, SCALE_LABEL_DELAY=0.2 seconds per CreateIndicium)
"""

from __future__ import annotations

import os

from bench._db import throwaway_db

MERCHANTS = int(os.environ.get("SCALE_MERCHANTS", "4"))
PER_MERCHANT = int(os.environ.get("SCALE_LABELS_PER_MERCHANT", "500"))
IN_FLIGHT = int(os.environ.get("SCALE_IN_FLIGHT", "10"))
LABEL_DELAY = float(os.environ.get("SCALE_LABEL_DELAY", "0.2"))


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipdesk.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django_q.conf import Conf

    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        print(
            "skipped: the scale benchmark needs PostgreSQL (DATABASE_URL) and Redis "
            "(REDIS_URL), as production with many workers has"
        )
        return 0
    settings.STAMPS_SANDBOX = True
    settings.DEBUG = False
    settings.STAMPS_MAX_IN_FLIGHT = IN_FLIGHT
    Conf.SYNC = False
    server = None
    with throwaway_db("bench_scale"):
        try:
            from bench._sandbox import Spans, serve_here
            from carriers.stamps import client as stamps_client
            from carriers.stamps.sandbox import api
            from tests.proof.scale import ScaleRun
            from tests.support import qcluster, wait_for

            server = serve_here(Spans())
            url = f"http://127.0.0.1:{server.server_port}/sandbox/stamps/swsim.asmx"
            settings.STAMPS_SANDBOX_URL = url
            stamps_client.reset_wsdl_cache()
            api.reset()
            run = ScaleRun(
                merchants=MERCHANTS,
                labels_per_merchant=PER_MERCHANT,
                in_flight=IN_FLIGHT,
                threads=IN_FLIGHT,
                label_delay=LABEL_DELAY,
                stale_seconds=20,
            )
            run.set_up(api)
            total = MERCHANTS * PER_MERCHANT
            problems = run.run(api, url, qcluster, wait_for, timeout=120 + total)
            peaks = [api.peak_in_flight(a.username) for a in run.accounts]
            print(
                f"{total} labels over {MERCHANTS} merchants, 3 clusters, 1 killed mid-batch "
                f"(its batches: {sorted(run.killed_batches)}), {run.sweeps} sweep passes"
            )
            print(
                f"all batches done in {run.seconds:.1f} s; peak calls in flight per account "
                f"{peaks} (limit {IN_FLIGHT}); CreateIndicium answered after {LABEL_DELAY:g} s"
            )
            for problem in problems:
                print("PROBLEM:", problem)
            print("OK" if not problems else "MISSED")
            return 1 if problems else 0
        finally:
            if server is not None:
                server.shutdown()


if __name__ == "__main__":
    raise SystemExit(main())
