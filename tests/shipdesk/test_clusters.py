"""Every job goes to its own cluster, wherever it is queued from: a label bought by a batch (in
the long-jobs cluster) queues its auto-funding check for the short-jobs cluster, not for the
batches behind it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django_q.brokers import get_broker
from django_q.conf import Conf

from funding import ledger

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_short_job_queued_from_inside_the_long_jobs_cluster_goes_to_the_short_one(
    monkeypatch,
):
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", settings.Q_LONG_CLUSTER)  # as in its worker
    short, long = get_broker(settings.Q_SHORT_CLUSTER), get_broker(settings.Q_LONG_CLUSTER)
    short.purge_queue()
    long.purge_queue()

    ledger.schedule_auto_funding_check(1)

    assert (short.queue_size(), long.queue_size()) == (1, 0)
    short.purge_queue()
