"""Helpers for tests that start real processes against the test database, or watch what
reaches it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent

# For tests that need the everyday branch of the shipping day (before the 9 PM SCAN-form cut-off,
# not a Sunday): ``@pytest.mark.clock(WEEKDAY_MORNING)``.
WEEKDAY_MORNING = "2026-06-10T10:00:00-04:00"  # a Wednesday in New York


def test_database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{s['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": test_database_url(), "DJANGO_SETTINGS_MODULE": "shipdesk.settings"})
    env.update(extra)
    return env


class Workers:
    """``manage.py qcluster`` processes on the test database, one process group each (as
    separate hosts would be), their output in log files so a failed wait can show it."""

    def __init__(self, **extra_env: str) -> None:
        self.env = child_env(**extra_env)
        self.procs: list[subprocess.Popen] = []
        self.logs: list[Path] = []
        self._dir = Path(tempfile.mkdtemp(prefix="shipdesk-qcluster-"))

    def start(self, cluster: str = "") -> subprocess.Popen:
        """One qcluster for ``cluster`` (a name from settings.Q_CLUSTERS; "" = short jobs)."""
        env = dict(self.env)
        if cluster:
            env["Q_CLUSTER_NAME"] = cluster
        log = self._dir / f"qcluster-{len(self.procs)}-{cluster or 'short'}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "manage.py", "qcluster"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append(proc)
        self.logs.append(log)
        return proc

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until every cluster says it is ready for work (start-up is not counted as work)."""

        def ready() -> bool:
            for proc, log in zip(self.procs, self.logs, strict=True):
                if proc.poll() is None and b"ready for work" not in log.read_bytes():
                    return False
            return True

        wait_for(ready, f"{len(self.procs)} qcluster(s) to be ready for work", timeout, self)

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL the whole cluster (sentinel, pusher, monitor, workers): a host lost."""
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop(self) -> None:
        # SIGTERM to the cluster's main process only: it stops its own workers in a few
        # seconds (a signal to the whole group makes it wait for children already gone).
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            with suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=20)
            self.kill(proc)  # whatever of the group is left
        shutil.rmtree(self._dir, ignore_errors=True)

    def tail(self, chars: int = 3000) -> str:
        parts = []
        for proc, log in zip(self.procs, self.logs, strict=True):
            text = log.read_text(errors="replace") if log.exists() else ""
            state = "running" if proc.poll() is None else f"exited {proc.returncode}"
            parts.append(f"--- {log.name} ({state}) ---\n{text[-chars:]}")
        return "\n".join(parts)


@contextmanager
def qcluster(*, clusters: tuple[str, ...] = ("", "long"), **extra_env: str) -> Iterator[Workers]:
    """Real ``manage.py qcluster`` processes on the test database, one per cluster (short
    jobs and long jobs, settings.Q_CLUSTER and its ALT_CLUSTERS), stopped afterwards."""
    workers = Workers(**extra_env)
    try:
        for cluster in clusters:
            workers.start(long_jobs_cluster() if cluster == "long" else cluster)
        yield workers
    finally:
        workers.stop()


def long_jobs_cluster() -> str:
    from django.conf import settings

    return settings.Q_LONG_CLUSTER


def wait_for(
    predicate: Callable[[], Any],
    what: str,
    timeout: float = 30.0,
    workers: Workers | None = None,
    interval: float = 0.2,
) -> Any:
    """Poll ``predicate`` until it is truthy; past ``timeout`` seconds fail, saying what was
    awaited (and showing the workers' output), never hang."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = f"\n{workers.tail()}" if workers is not None else ""
            raise TimeoutError(f"waited {timeout:g}s for {what}; it never happened{detail}")
        time.sleep(interval)


def reference_wsdl() -> Path | None:
    """Stamps.com's real SWSIM v135 WSDL: ``STAMPS_REFERENCE_WSDL``, else ``shared/stamps/``
    beside the checkout or beside one of its parent folders (a worktree or a CI clone sits
    deeper than the main checkout). It is not part of the project (production loads it from
    Stamps.com); None when absent, and the test summary then says how many fidelity tests
    that cost."""
    configured = os.environ.get("STAMPS_REFERENCE_WSDL", "")
    candidates = [Path(configured)] if configured else []
    candidates += [folder / "shared" / "stamps" / "swsimv135.wsdl" for folder in ROOT.parents]
    return next((c for c in candidates if c.is_file()), None)


REFERENCE_WSDL_MISSING = (
    "the real SWSIM v135 WSDL is absent (shared/stamps/swsimv135.wsdl beside the checkout or a "
    "parent folder, or STAMPS_REFERENCE_WSDL): cannot prove fidelity to Stamps.com"
)


def credit_refunds(sandbox) -> int:
    """R41: let USPS approve every refund requested so far (the sandbox clock moves past its
    refund delay), then run ShipDesk's refund follow-up as its schedule does. Returns how many
    accounts had refunds settled."""
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    from carriers.stamps.sandbox.models import Config
    from funding.jobs import follow_all_refunds

    config = Config.objects.filter(pk=1).first()
    delay = config.refund_delay_seconds if config and config.refund_delay_seconds else None
    seconds = delay if delay is not None else settings.STAMPS_SANDBOX_REFUND_DELAY
    sandbox.set_clock(timezone.now() + dt.timedelta(seconds=seconds + 1))
    return follow_all_refunds()


@contextmanager
def postgres_messages() -> Iterator[list[str]]:
    """The protocol messages this thread's PostgreSQL connection exchanges inside the block,
    one line each (libpq's own trace, ``PQtrace``): "F" lines were sent, "B" lines received.
    A round trip ends with each ``ReadyForQuery``; each ``Execute`` is one statement run."""
    from psycopg import pq

    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    lines: list[str] = []
    with tempfile.TemporaryFile() as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            yield lines
        finally:
            pgconn.untrace()
            trace.seek(0)
            lines.extend(trace.read().decode(errors="replace").splitlines())


def round_trips(messages: list[str]) -> int:
    """How many times the client waited for PostgreSQL's answer (``postgres_messages``)."""
    return sum(1 for line in messages if line.startswith("B\t") and "\tReadyForQuery" in line)


def executed(messages: list[str]) -> int:
    """How many times the client asked PostgreSQL to run SQL (``postgres_messages``): each
    ``Execute`` (one statement, server-side parameters) and each ``Query`` (a text sent with
    its values in it, as Django's own cursors send theirs)."""
    return sum(
        1
        for line in messages
        if line.startswith("F\t") and ("\tExecute\t" in line or "\tQuery\t" in line)
    )


def store_log(merchant) -> list[tuple[str, str, str, str]]:
    """The store's activity log, oldest first: (actor, action, subject, detail)."""
    from merchants.models import StoreEvent

    rows = StoreEvent.objects.filter(merchant=merchant).order_by("created_at", "pk")
    return list(rows.values_list("actor", "action", "subject", "detail"))


def activity_table(client) -> str:
    """The activity table of the members page, as the client's person sees it."""
    import re

    from django.urls import reverse

    page = client.get(reverse("members:list")).text
    found = re.search(r'data-testid="team-activity">(.*?)</table>', page, re.S)
    assert found is not None, "no activity table on the members page"
    return found.group(1)
