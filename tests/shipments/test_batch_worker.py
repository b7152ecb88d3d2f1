"""A batch through a real django-q2 worker, killed mid-batch and resumed: nothing is bought
twice (R28) and the ledger matches the carrier (R14)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from funding.models import LedgerEntry
from shipments import batches
from shipments.models import Batch, BatchItem, Shipment
from tests.support import qcluster, wait_for

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
        # One label at a time in each of two runners: the batch is still going when killed.
        "LABEL_BATCH_THREADS": "2",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    batch = batches.create_batch(merchant, [o.pk for o in orders], account, None)
    pending = batch.items.filter(status=BatchItem.Status.PENDING)
    with qcluster(clusters=("long",), **env) as workers:
        wait_for(
            lambda: (
                batch.items.filter(status=BatchItem.Status.BOUGHT).exists()
                and pending.filter(claim_run__isnull=False).exists()
            ),
            "the batch's first label, and the next one claimed",
            60,
            workers,
        )
        workers.kill(workers.procs[0])  # the whole cluster, mid-label
    batch.refresh_from_db()
    assert batch.status == Batch.Status.RUNNING
    # The dead runner's claim is left behind: a new run must take it over.
    assert pending.filter(claim_run=batch.runs).exists()

    settings.LABEL_BATCH_STALE_SECONDS = 0
    with qcluster(clusters=("long",), **env) as workers:
        assert batches.resume(batch)
        wait_for(
            lambda: Batch.objects.get(pk=batch.pk).finished,
            "the resumed batch to finish",
            90,
            workers,
        )

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


def test_a_big_batch_never_delays_a_purchase_waiting_to_be_confirmed(
    stamps, sandbox_account, make_shippable, merchant, settings, monkeypatch
):
    """Long jobs (batches) and short ones (following a purchase) have clusters of their own:
    with one worker each, a purchase answered Pending settles while the batch is still
    printing. On one shared worker the purchase would wait for the whole batch."""
    from django_q.conf import Conf

    from funding import purchases
    from funding.models import PostagePurchase

    monkeypatch.setattr(Conf, "SYNC", False)
    account = sandbox_account("acme-big", balance="400.00")
    orders = [make_shippable() for _ in range(8)]
    stamps.set_fault("CreateIndicium", "delay", delay=1.0, times=0)  # about 8 s of labels
    stamps.set_pending_settlement(calls=1, seconds=2)
    env = {
        "STAMPS_SANDBOX": "1",
        "STAMPS_SANDBOX_URL": settings.STAMPS_SANDBOX_URL,
        "Q_WORKERS": "1",
        "LABEL_BATCH_THREADS": "1",
        "FUNDING_POLL_SECONDS": "1",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    with qcluster(**env) as workers:
        workers.wait_ready()
        batch = batches.create_batch(merchant, [o.pk for o in orders], account, None)
        wait_for(
            lambda: batch.items.filter(status=BatchItem.Status.BOUGHT).exists(),
            "the batch's first label",
            60,
            workers,
        )
        purchase = purchases.add_funds(account, Decimal("20.01"))  # the sandbox says Pending
        assert purchase.status == PostagePurchase.Status.PENDING
        wait_for(
            lambda: (
                PostagePurchase.objects.get(pk=purchase.pk).status == PostagePurchase.Status.SUCCESS
            ),
            "the pending purchase to be confirmed by the short-jobs cluster",
            30,
            workers,
        )
        assert not Batch.objects.get(pk=batch.pk).finished, "the batch was over first"
        stamps.clear_faults()
        wait_for(
            lambda: Batch.objects.get(pk=batch.pk).finished, "the batch to finish", 90, workers
        )
    assert batches.progress(Batch.objects.get(pk=batch.pk))["bought"] == 8


def test_one_batch_is_bought_by_two_runners_in_two_processes_at_once(
    stamps, account, make_shippable, merchant, settings, monkeypatch
):
    """The batch is shared: its runner tasks buy its labels side by side in different worker
    processes (one label at a time each here, so two calls in flight at once prove it), each
    label once, and the batch is announced once, by whichever runner settled the last item."""
    from django_q.conf import Conf

    from tests.tracking.factories import make_endpoint
    from tracking.models import WebhookDelivery

    monkeypatch.setattr(Conf, "SYNC", False)
    settings.LABEL_BATCH_THREADS = 2  # two runners of one thread each, queued from here
    make_endpoint(merchant, events=["batch.finished"])
    orders = [make_shippable() for _ in range(6)]
    stamps.set_fault("CreateIndicium", "delay", delay=0.5, times=0)
    env = {
        "STAMPS_SANDBOX": "1",
        "STAMPS_SANDBOX_URL": settings.STAMPS_SANDBOX_URL,
        "Q_WORKERS": "2",
        "LABEL_BATCH_THREADS": "2",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    with qcluster(clusters=("long", "long"), **env) as workers:
        workers.wait_ready()
        batch = batches.create_batch(merchant, [o.pk for o in orders], account, None)
        wait_for(lambda: Batch.objects.get(pk=batch.pk).finished, "the batch", 90, workers)

    items = list(batch.items.all())
    assert {i.status for i in items} == {BatchItem.Status.BOUGHT}
    # runner: "<run>.<runner>@<host>:<pid>/<thread>"
    runners = {i.runner.split("@")[0] for i in items}
    processes = {i.runner.split("@")[1].split("/")[0] for i in items}
    assert runners == {"1.0", "1.1"}, runners
    assert len(processes) == 2, processes
    assert stamps.peak_in_flight(account.username) == 2
    indicia = stamps.indicia(account.username)
    assert len(indicia) == 6 == len({i.integrator_tx_id for i in indicia})
    assert Shipment.objects.filter(status=Shipment.Status.BOUGHT).count() == 6
    account.refresh_from_db()
    assert account.balance == stamps.get_balance(account.username)
    assert WebhookDelivery.objects.filter(event="batch.finished").count() == 1
