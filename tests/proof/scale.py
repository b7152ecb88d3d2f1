"""Many clusters, like many hosts: label batches from several merchants at once, bought by
three ``qcluster`` processes of the long-jobs cluster on Redis and PostgreSQL, one of them
SIGKILLed in the middle of a batch. The short form is a test (tests/proof/test_scale.py),
the long form a benchmark (``python -m bench scale``); both use this engine.

What must hold afterwards: every batch finished (the sweep re-queues what Redis lost with the
dead cluster), every order's label bought exactly once at the carrier and in ShipDesk, each
account's ledger equal to its carrier balance, and never more than STAMPS_MAX_IN_FLIGHT calls
in flight on one account (the sandbox counts them).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass
class ScaleRun:
    merchants: int
    labels_per_merchant: int
    clusters: int = 3
    in_flight: int = 2
    threads: int = 3  # labels in the works per batch (LABEL_BATCH_THREADS; 0: from in_flight)
    label_delay: float = 0.4
    stale_seconds: int = 10
    kill: bool = True  # SIGKILL one cluster mid-batch
    # Addresses checked before the batch, as after an import (R37a): each label is then one
    # carrier call (CreateIndicium) rather than three (CleanseAddress, GetRates again).
    checked_addresses: bool = False
    accounts: list[Any] = field(default_factory=list)
    batches: list[Any] = field(default_factory=list)
    killed_batches: set[int] = field(default_factory=set)
    sweeps: int = 0
    seconds: float = 0.0
    create_seconds: float = 0.0  # creating the batches: rating every order, funding

    def env(self, sandbox_url: str) -> dict[str, str]:
        """What every cluster process is started with."""
        return {
            "STAMPS_SANDBOX": "1",
            "STAMPS_SANDBOX_URL": sandbox_url,
            "STAMPS_MAX_IN_FLIGHT": str(self.in_flight),
            "STAMPS_RETRY_BACKOFF_MS": "0",
            "Q_WORKERS": "2",
            "LABEL_BATCH_THREADS": str(self.threads),
        }

    def set_up(self, api) -> None:
        """Merchants, each with a carrier account holding enough postage, and orders."""
        from bench._store import make_orders, make_store

        balance = Decimal(40) * self.labels_per_merchant + 100
        for m in range(self.merchants):
            store = make_store(
                f"Scale Store {m}", f"scale-{m}", balance=balance, password="Scale-pass-1"
            )
            make_orders(store, self.labels_per_merchant, f"S{m}-", varied=False)
            if self.checked_addresses:
                from orders import addresses

                addresses.check_unchecked(store.merchant.pk, limit=self.labels_per_merchant)
            self.accounts.append(store.account)

    def start_batches(self) -> None:
        from orders.models import Order
        from shipments import batches

        started = time.monotonic()
        for account in self.accounts:
            ids = list(
                Order.objects.filter(merchant_id=account.merchant_id)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            self.batches.append(batches.create_batch(account.merchant, ids, account, None))
        self.create_seconds = time.monotonic() - started

    def kill_one_mid_batch(self, workers, wait_for) -> None:
        """SIGKILL the first cluster seen working on a batch that has bought a label and
        still has labels to buy: its runs are lost with it (Redis has no acknowledgements)."""
        from shipments.models import Batch, BatchItem

        running = re.compile(rb"processing \[?labels-(\d+)-\d+")

        def victim():
            for proc, log in zip(workers.procs, workers.logs, strict=True):
                for pk in {int(m) for m in running.findall(log.read_bytes())}:
                    items = BatchItem.objects.filter(batch_id=pk)
                    bought = items.filter(status=BatchItem.Status.BOUGHT).count()
                    pending = items.filter(status=BatchItem.Status.PENDING).count()
                    if bought and pending > 2:
                        return proc, log
            return None

        proc, log = wait_for(victim, "a cluster in the middle of a batch", 120, workers)
        workers.kill(proc)
        self.killed_batches = {int(m) for m in running.findall(log.read_bytes())}
        # Killed mid-batch: at least one of its batches is not finished.
        unfinished = Batch.objects.filter(pk__in=self.killed_batches, finished_at__isnull=True)
        assert unfinished.exists(), "the killed cluster's batches had all finished"

    def finish(self, workers, wait_for, timeout: float) -> None:
        """What the periodic sweep does, every few seconds, until every batch is done."""
        from shipments import jobs
        from shipments.models import Batch

        ids = [b.pk for b in self.batches]

        def all_done() -> bool:
            if Batch.objects.filter(pk__in=ids, finished_at__isnull=True).exists():
                self.sweeps += 1
                jobs.resume_stale_batches()
                return False
            return True

        wait_for(all_done, f"all {len(ids)} batches to finish", timeout, workers, interval=2.0)

    def check(self, api) -> list[str]:
        """Everything that must hold; the problems found (empty when all is well)."""
        from funding import ledger
        from funding.models import LedgerEntry
        from shipments import batches
        from shipments.models import Batch, Shipment

        problems: list[str] = []
        for batch in Batch.objects.filter(pk__in=[b.pk for b in self.batches]):
            progress = batches.progress(batch)
            if not batch.finished or progress["bought"] != batch.total:
                problems.append(f"batch {batch.pk}: {progress} ({batch.status})")
        for account in self.accounts:
            account.refresh_from_db()
            indicia = api.indicia(account.username)
            tx_ids = [i.integrator_tx_id for i in indicia]
            bought = Shipment.objects.filter(account=account, status=Shipment.Status.BOUGHT)
            orders = list(bought.values_list("order_id", flat=True))
            if len(tx_ids) != len(set(tx_ids)) or len(indicia) != self.labels_per_merchant:
                problems.append(
                    f"{account.username}: {len(indicia)} labels at the carrier for "
                    f"{self.labels_per_merchant} orders ({len(set(tx_ids))} distinct)"
                )
            if len(orders) != len(set(orders)) or len(orders) != self.labels_per_merchant:
                problems.append(f"{account.username}: {len(orders)} labels bought in ShipDesk")
            if set(tx_ids) != set(bought.values_list("integrator_tx_id", flat=True)):
                problems.append(f"{account.username}: carrier and ShipDesk labels differ")
            debits = LedgerEntry.objects.filter(account=account, kind=LedgerEntry.Kind.LABEL)
            if debits.count() != self.labels_per_merchant:
                problems.append(f"{account.username}: {debits.count()} label debits")
            carrier = api.get_balance(account.username)
            if not (ledger.ledger_balance(account) == account.balance == carrier):
                problems.append(
                    f"{account.username}: ledger {ledger.ledger_balance(account)}, "
                    f"account {account.balance}, carrier {carrier}"
                )
            peak = api.peak_in_flight(account.username)
            if peak > self.in_flight:
                problems.append(
                    f"{account.username}: {peak} calls in flight at once (limit {self.in_flight})"
                )
        return problems

    def run(self, api, sandbox_url: str, qcluster, wait_for, timeout: float) -> list[str]:
        from django.conf import settings

        api.set_fault("CreateIndicium", "delay", delay=self.label_delay, times=0)
        started = time.monotonic()
        stale, threads = settings.LABEL_BATCH_STALE_SECONDS, settings.LABEL_BATCH_THREADS
        # This process queues the runners: as many as the clusters' own settings expect.
        settings.LABEL_BATCH_THREADS = self.threads
        try:
            with qcluster(clusters=("long",) * self.clusters, **self.env(sandbox_url)) as workers:
                workers.wait_ready()
                started = time.monotonic()
                self.start_batches()
                if self.kill:
                    self.kill_one_mid_batch(workers, wait_for)
                settings.LABEL_BATCH_STALE_SECONDS = self.stale_seconds
                self.finish(workers, wait_for, timeout)
                self.seconds = time.monotonic() - started
        finally:
            settings.LABEL_BATCH_STALE_SECONDS = stale
            settings.LABEL_BATCH_THREADS = threads
        api.clear_faults()
        return self.check(api)
