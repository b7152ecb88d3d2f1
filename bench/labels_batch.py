"""A batch of 500 labels through a real django-q2 worker against the sandbox.

DESIGN.md section 6: the batch completes, and ShipDesk's own time (the batch's wall time minus
the sandbox's handling time, both measured in this run) is at most 50% of the sandbox's time.
The sandbox is served over real HTTP by a threaded WSGI server in this process, which records
how long it takes for each SOAP request (``bench._sandbox.serve_here``); one
``manage.py qcluster`` process on a throwaway database buys the labels. Also reported: the
worker's peak memory, and the SQL queries ShipDesk runs per label (measured in-process).

Run: python -m bench labels_batch   (LABELS_BENCH_COUNT=500 by default)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COUNT = int(os.environ.get("LABELS_BENCH_COUNT", "500"))
TARGET = 0.5
THREADS = int(os.environ.get("LABEL_BATCH_THREADS", "3"))
ROOT = Path(__file__).resolve().parent.parent


def _tree_peak_rss_kb(pid: int) -> int:
    """Peak resident memory (VmHWM) of ``pid``'s children, the cluster's worker processes."""
    peak = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(pid) or status.parent.name == str(pid):
            hwm = fields.get("VmHWM", "0 kB").split()[0]
            peak = max(peak, int(hwm))
    return peak


def _setup(count: int):
    from bench._store import make_orders, make_store
    from carriers.stamps.sandbox import api

    api.reset()
    store = make_store("Bench labels", "bench-labels", balance="9999.00")
    return store.merchant, store.account, make_orders(store, count, "B-")


def _queries_per_label(merchant, account, orders) -> float:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shipments.labels import buy_label

    counts = []
    for order in orders:
        with CaptureQueriesContext(connection) as ctx:
            buy_label(order, account, order.service)
        counts.append(len(ctx.captured_queries))
    return sum(counts) / len(counts)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipdesk.settings")
    import django

    django.setup()
    from django.conf import settings
    from django_q.conf import Conf

    from bench._db import throwaway_db
    from bench._sandbox import Spans, serve_here

    settings.STAMPS_SANDBOX = True
    settings.DEBUG = False
    settings.LABEL_BATCH_RUNNERS = 1  # this process queues the batch: one runner task
    Conf.SYNC = False
    server = worker = None
    with throwaway_db("bench_labels_batch"):
        try:
            from carriers.stamps import client as stamps_client
            from shipments import batches
            from shipments.models import Batch, BatchItem
            from tests.support import child_env

            spans = Spans()
            server = serve_here(spans, posts_only=True)
            url = f"http://127.0.0.1:{server.server_port}/sandbox/stamps/swsim.asmx"
            settings.STAMPS_SANDBOX_URL = url
            stamps_client.reset_wsdl_cache()
            merchant, account, orders = _setup(COUNT + 5)
            threads = THREADS
            per_label = _queries_per_label(merchant, account, orders[COUNT:])
            print(f"ShipDesk SQL queries per label (buy_label, in-process): {per_label:.1f}")

            log_path = Path(tempfile.mkdtemp()) / "qcluster.log"
            log = log_path.open("w")
            worker = subprocess.Popen(
                [sys.executable, "manage.py", "qcluster"],
                cwd=ROOT,
                env=child_env(
                    Q_CLUSTER_NAME=settings.Q_LONG_CLUSTER,
                    STAMPS_SANDBOX="1",
                    STAMPS_SANDBOX_URL=url,
                    Q_WORKERS="1",
                    # One runner of ``threads`` threads: the one worker buys the whole batch.
                    LABEL_BATCH_RUNNERS="1",
                    LABEL_BATCH_THREADS=str(threads),
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            # Wait until the cluster's worker is up, so its start-up is not counted.
            deadline = time.monotonic() + 60
            while "ready for work" not in log_path.read_text():
                if time.monotonic() > deadline or worker.poll() is not None:
                    raise RuntimeError(
                        "waited 60 s for the worker to be ready for work:\n"
                        + log_path.read_text()[-3000:]
                    )
                time.sleep(0.1)
            spans.clear()

            started = time.perf_counter()
            batch = batches.create_batch(merchant, [o.pk for o in orders[:COUNT]], account, None)
            # Generous (a label a second would still finish), never endless.
            deadline = time.monotonic() + 60 + COUNT
            while not Batch.objects.filter(pk=batch.pk, status=Batch.Status.DONE).exists():
                if worker.poll() is not None:
                    raise RuntimeError("the worker exited:\n" + log_path.read_text()[-3000:])
                if time.monotonic() > deadline:
                    done = batches.progress(Batch.objects.get(pk=batch.pk))["done"]
                    raise RuntimeError(
                        f"waited {60 + COUNT} s for the batch of {COUNT} labels to finish; "
                        f"{done} done. Worker log:\n" + log_path.read_text()[-3000:]
                    )
                time.sleep(0.05)
            wall = time.perf_counter() - started
            peak_kb = _tree_peak_rss_kb(worker.pid)
            sandbox = spans.busy()
            progress = batches.progress(Batch.objects.get(pk=batch.pk))
            failed = list(
                BatchItem.objects.filter(batch=batch, status="failed").values_list(
                    "reason", flat=True
                )
            )
            own = wall - sandbox
            ratio = own / sandbox if sandbox else float("inf")
            print(
                f"{progress['bought']} labels bought, {progress['failed']} failed, "
                f"{len(spans.spans)} SOAP calls, {threads} labels in flight"
            )
            if failed:
                print("first failure:", failed[0])
            print(
                f"batch {wall:.2f} s | sandbox busy {sandbox:.2f} s (sum of its handling times "
                f"{spans.total():.2f} s) | ShipDesk alone {own:.2f} s | "
                f"ShipDesk/sandbox {ratio:.0%} (target <= {TARGET:.0%})"
            )
            print(f"worker peak memory (VmHWM): {peak_kb / 1024:.0f} MB")
            ok = progress["bought"] == COUNT and ratio <= TARGET
            print("OK" if ok else "MISSED")
            return 0 if ok else 1
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    worker.kill()
            if server is not None:
                server.shutdown()
                server.server_close()


if __name__ == "__main__":
    raise SystemExit(main())
