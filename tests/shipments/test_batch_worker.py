"""A batch through a real django-q2 worker, killed mid-batch and resumed: nothing is bought
twice (R28) and the ledger matches the carrier (R14)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from funding.models import LedgerEntry
from shipments import batches
from shipments.models import Batch, BatchItem, Shipment
from tests.support import ROOT, child_env, qcluster, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_a_batch_resumes_after_its_worker_is_killed_without_buying_twice(
    stamps, account, make_shippable, merchant, settings, monkeypatch
):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", False)
    orders = [make_shippable() for _ in range(4)]
    # Slow labels, so the worker can be killed in the middle of the batch.
    stamps.set_fault("CreateIndicium", "delay", delay=0.6, times=0)
    env = {
        "STAMPS_SANDBOX": "1",
        "STAMPS_SANDBOX_URL": settings.STAMPS_SANDBOX_URL,
        "Q_WORKERS": "1",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    batch = batches.create_batch(merchant, [o.pk for o in orders], account, None)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=child_env(**env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(lambda: batch.items.filter(status=BatchItem.Status.BOUGHT).exists(), timeout=60)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # the whole cluster, mid-label
        worker.wait()
    batch.refresh_from_db()
    assert batch.status == Batch.Status.RUNNING
    assert batch.items.filter(status=BatchItem.Status.PENDING).exists()

    settings.LABEL_BATCH_STALE_SECONDS = 0
    with qcluster(**env):
        assert batches.resume(batch)
        wait_for(lambda: Batch.objects.get(pk=batch.pk).finished, timeout=90)

    assert batches.progress(Batch.objects.get(pk=batch.pk))["bought"] == 4
    indicia = stamps.indicia(account.username)
    bought = Shipment.objects.filter(status=Shipment.Status.BOUGHT)
    assert len(indicia) == 4 == bought.count()
    assert {i.integrator_tx_id for i in indicia} == set(
        bought.values_list("integrator_tx_id", flat=True)
    )
    assert set(bought.values_list("order_id", flat=True)) == {o.pk for o in orders}
    assert LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.LABEL).count() == 4
    account.refresh_from_db()
    assert account.balance == stamps.get_balance(account.username)
