"""The scale test, short form (the long form is ``python -m bench scale``): three clusters on
Redis and PostgreSQL, one SIGKILLed mid-batch; batches of four merchants all finish, every
label bought exactly once, ledgers equal carrier balances, and the in-flight limit holds
(R14, R28)."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from tests.proof.scale import ScaleRun
from tests.support import qcluster, wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"),
        reason="the scale test runs many clusters on Redis and PostgreSQL, as production "
        "does (CI=true make test starts both); set DATABASE_URL to PostgreSQL and REDIS_URL",
    ),
]


def test_three_clusters_one_killed_mid_batch_buy_every_label_exactly_once(
    sandbox, settings, monkeypatch
):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    run = ScaleRun(merchants=4, labels_per_merchant=16)
    settings.STAMPS_MAX_IN_FLIGHT = run.in_flight  # this process rates the batches first
    run.set_up(sandbox)

    problems = run.run(sandbox, settings.STAMPS_SANDBOX_URL, qcluster, wait_for, timeout=180)

    assert problems == []
    assert run.killed_batches, "no cluster was killed mid-batch"
