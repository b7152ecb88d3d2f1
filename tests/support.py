"""Helpers for tests that start real processes against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

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


@contextmanager
def qcluster(**extra_env: str):
    """A real `manage.py qcluster` process on the test database, stopped afterwards."""
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=child_env(**extra_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"condition not met within {timeout}s")


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
