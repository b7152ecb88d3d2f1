"""One batch, several runners (shipments.batches): each item is claimed by one runner, the
batch is announced once whichever runner ends last, and what a dead runner had claimed is
bought by the next run the resume sweep starts (R28: never twice)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from shipments import batches, jobs
from shipments.models import Batch, BatchItem, Shipment
from shipments.signals import batch_finished

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def announced():
    """The batches announced as finished, one entry per announcement."""
    seen: list[int] = []

    def receiver(sender, batch, **kwargs):
        seen.append(batch.pk)

    batch_finished.connect(receiver, dispatch_uid="test-announced")
    yield seen
    batch_finished.disconnect(dispatch_uid="test-announced")


@pytest.fixture
def quiet_batch(merchant, account, make_shippable, monkeypatch):
    """A batch of six orders, created but not queued: the test runs its runners itself."""

    def make(size: int = 6) -> Batch:
        orders = [make_shippable() for _ in range(size)]
        with monkeypatch.context() as patch:
            patch.setattr(batches, "enqueue", lambda batch: None)
            return batches.create_batch(merchant, [o.pk for o in orders], account, None)

    return make


def test_the_number_of_labels_in_the_works_follows_the_accounts_in_flight_limit(settings):
    settings.LABEL_BATCH_THREADS = 0
    settings.LABEL_BATCH_RUNNERS = 3
    settings.STAMPS_MAX_IN_FLIGHT = 10
    # Enough threads over the runners to keep all 10 slots busy while as many again record
    # their labels, and not so many that they would queue long for a slot.
    assert batches.batch_runners() == 3
    assert 2 * 10 <= batches.threads_per_runner() * 3 <= 2 * 10 + 2
    settings.STAMPS_MAX_IN_FLIGHT = 30
    assert 2 * 30 <= batches.threads_per_runner() * 3 <= 2 * 30 + 2
    settings.LABEL_BATCH_THREADS = 1  # set by hand: one runner, one label at a time
    assert (batches.batch_runners(), batches.threads_per_runner()) == (1, 1)


def test_two_runners_racing_share_the_items_and_announce_the_batch_once(
    stamps, account, quiet_batch, settings, monkeypatch, announced
):
    settings.LABEL_BATCH_THREADS = 2  # two runners, one label at a time each
    stamps.set_fault("CreateIndicium", "delay", delay=0.3, times=0)
    batch = quiet_batch()
    run = batches.new_run(batch.pk)
    # Both runners reach the end together, after the last item is settled.
    real_finish = batches.finish
    together = threading.Barrier(2, timeout=60)
    finished_by: list[bool] = []

    def finish(batch_id):
        together.wait()
        finished_by.append(real_finish(batch_id))
        return finished_by[-1]

    monkeypatch.setattr(batches, "finish", finish)

    def runner(n: int) -> None:
        try:
            batches.run_batch(batch.pk, run, n)
        finally:
            connections.close_all()  # this thread's own connection

    runners = [threading.Thread(target=runner, args=(n,)) for n in (0, 1)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(timeout=120)

    assert sorted(finished_by) == [False, True]
    assert announced == [batch.pk]
    items = list(batch.items.all())
    assert {i.status for i in items} == {BatchItem.Status.BOUGHT}
    assert {i.runner.split("@")[0] for i in items} == {f"{run}.0", f"{run}.1"}
    indicia = stamps.indicia(account.username)
    assert len(indicia) == 6 == len({i.integrator_tx_id for i in indicia})
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.DONE


def test_a_claim_is_taken_by_one_runner_only(quiet_batch):
    batch = quiet_batch(3)
    run = batches.new_run(batch.pk)
    claimed = [batches.claim_next(batch.pk, run, f"r{n}") for n in range(4)]
    assert claimed[3] is None
    assert len({item.pk for item in claimed[:3] if item}) == 3
    # A later run takes over what an earlier one left claimed; the earlier one cannot.
    assert batches.claim_next(batch.pk, run, "r9") is None
    later = batches.new_run(batch.pk)
    assert batches.claim_next(batch.pk, later, "r10").position == 0


def test_a_runner_killed_after_claiming_leaves_items_the_resume_sweep_buys_once(
    stamps, account, quiet_batch, settings, announced
):
    batch = quiet_batch()
    run = batches.new_run(batch.pk)
    # A runner claims two items and dies (SIGKILL: nothing settled, nothing released).
    dead = [batches.claim_next(batch.pk, run, "dead") for _ in range(2)]
    # A live runner of the same run buys the rest and leaves: the batch is not done.
    batches.run_batch(batch.pk, run, 1)
    batch.refresh_from_db()
    assert batch.status == Batch.Status.RUNNING and announced == []
    left = batch.items.filter(status=BatchItem.Status.PENDING)
    assert set(left.values_list("pk", flat=True)) == {item.pk for item in dead if item}

    settings.LABEL_BATCH_STALE_SECONDS = 0  # the sweep runs once the heartbeat is old
    assert jobs.resume_stale_batches() == 1  # its runners run inline here

    batch.refresh_from_db()
    assert batch.status == Batch.Status.DONE and announced == [batch.pk]
    assert batches.progress(batch)["bought"] == 6
    taken_over = BatchItem.objects.filter(pk__in=[item.pk for item in dead if item])
    assert set(taken_over.values_list("claim_run", flat=True)) == {run + 1}
    indicia = stamps.indicia(account.username)
    assert len(indicia) == 6 == len({i.integrator_tx_id for i in indicia})
    assert Shipment.objects.filter(status=Shipment.Status.BOUGHT).count() == 6


def test_a_batch_buys_with_the_rates_quoted_when_it_was_created(
    stamps, account, merchant, make_shippable, monkeypatch
):
    """Creating the batch rates every order; its labels reuse those quotes (cached), so each
    label is one carrier call, not a second GetRates taking one of the account's slots."""
    from carriers.models import CarrierCall
    from orders import addresses

    orders = [make_shippable() for _ in range(3)]
    addresses.check_unchecked(merchant.pk)  # as after an import (R37a)
    monkeypatch.setattr(batches, "enqueue", lambda batch: None)
    # ``account`` as just created (its plan an enum member), as a view may hold it.
    batch = batches.create_batch(merchant, [o.pk for o in orders], account, None)
    rated = CarrierCall.objects.filter(operation="GetRates").count()
    assert rated >= 1

    batches.run_batch(batch.pk)

    assert batches.progress(Batch.objects.get(pk=batch.pk))["bought"] == 3
    assert CarrierCall.objects.filter(operation="GetRates").count() == rated
