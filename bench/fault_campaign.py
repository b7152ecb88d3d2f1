"""Runner of the long money fault campaign (engine: ``tests.proof.campaign``): in this mode
also a django-q2 worker killed (SIGKILL) in the middle of following purchases, and one killed
in the middle of a label batch, which is then resumed. ``python -m bench fault_campaign
[--seeds 1,2,3]`` (or ``SEEDS=1,2,3``) runs it once per seed, each on a throwaway database,
and reports the mismatches per seed and in total; a failed run prints its seed and each bad
account's ledger beside the carrier's transactions.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

from tests.proof.campaign import Campaign, Counts, make_accounts

# python -m bench fault_campaign [--seeds 1,2,3]  (or SEEDS=1,2,3, or SEED=1): one campaign per
# seed, each on a fresh database, then the mismatches per seed and in total.
ROUNDS = int(os.environ.get("FAULT_CAMPAIGN_ROUNDS", "2000"))
KILLS = int(os.environ.get("FAULT_CAMPAIGN_KILLS", "3"))


def _kill_a_worker_mid_job(api, accounts, counts: Counts, env: dict[str, str]) -> None:
    """Purchases handed to a real qcluster whose answers are slow; SIGKILL the cluster while
    it is inside the call, so the jobs die half-way. The sweep must finish them later."""
    from django_q.tasks import async_task

    from funding import purchases as funding
    from funding.models import PostagePurchase

    purchases = []
    for account in accounts:
        account.refresh_from_db()
        try:
            purchases.append(funding.reserve_purchase(account, Decimal("10")))
        except funding.FundsError:
            continue
    # Slow answers, some committed then dropped: the worker dies holding them.
    api.set_fault("PurchasePostage", "delay", delay=1.5, times=len(purchases))
    counts.faults["delay"] += len(purchases)
    for purchase in purchases:
        async_task("funding.jobs.follow_purchase", purchase.pk, task_name=f"kill-{purchase.pk}")
    worker = _start_worker(env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        # Killed once the carrier has seen a purchase (the slow call is under way).
        if (
            any(api.purchases(a.username) for a in accounts)
            or PostagePurchase.objects.filter(
                pk__in=[p.pk for p in purchases], checks__gt=0
            ).exists()
        ):
            break
        time.sleep(0.1)
    time.sleep(0.5)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    counts.worker_kills += 1
    counts.interrupted += PostagePurchase.objects.filter(
        pk__in=[p.pk for p in purchases], status__in=PostagePurchase.IN_FLIGHT
    ).count()
    counts.operations["worker job"] += len(purchases)
    api.clear_faults()


def _start_worker(env: dict[str, str], cluster: str = "") -> subprocess.Popen:
    """A qcluster for the short jobs, or for ``cluster`` (settings.Q_LONG_CLUSTER)."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        env={**env, "Q_CLUSTER_NAME": cluster} if cluster else env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _kill_a_worker_mid_batch(campaign: Campaign, env: dict[str, str]) -> None:
    """A label batch queued for a real qcluster, slow labels and a fault on CreateIndicium;
    SIGKILL the cluster once the batch has its first label, then resume it as the merchant
    does ("Resume" once the batch is stale) and let a new cluster finish it."""
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    from shipments import batches
    from shipments.models import Batch, BatchItem

    api, counts = campaign.api, campaign.counts
    account = campaign.rng.choice(campaign.accounts)
    account.refresh_from_db()
    size = campaign.rng.randint(3, 5)
    batch = campaign.new_batch(account, size)
    campaign.maybe_fault("CreateIndicium", chance=1.0)  # first in line, then slow answers
    api.set_fault("CreateIndicium", "delay", delay=0.8, times=size)
    counts.faults["delay"] += size
    batches.enqueue(batch)
    worker = _start_worker(env, settings.Q_LONG_CLUSTER)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if batch.items.exclude(status=BatchItem.Status.PENDING).exists():
            break
        time.sleep(0.1)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    counts.worker_kills += 1
    batch.refresh_from_db()
    if batch.finished:
        return  # it won the race: nothing to resume
    counts.batch_deaths += 1
    api.clear_faults()
    stale = timezone.now() - batches.stale_after() - dt.timedelta(seconds=1)
    Batch.objects.filter(pk=batch.pk).update(heartbeat_at=stale)  # the merchant waited
    batch.refresh_from_db()
    if not batches.resume(batch):
        campaign.counts.mismatches.append(f"batch {batch.pk} could not be resumed")
        return
    counts.batch_resumes += 1
    worker = _start_worker(env, settings.Q_LONG_CLUSTER)
    try:
        deadline = time.monotonic() + 90
        while not Batch.objects.get(pk=batch.pk).finished:
            if time.monotonic() > deadline:
                campaign.counts.mismatches.append(
                    f"waited 90 s for resumed batch {batch.pk} to finish; it never did"
                )
                break
            time.sleep(0.2)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def seeds_from(argv: list[str], environ) -> list[int]:
    """``--seeds 1,2,3`` (or ``--seeds=1,2,3``), else ``SEEDS=1,2,3``, else ``SEED`` (one),
    else 2026."""
    raw = ""
    for i, arg in enumerate(argv):
        if arg == "--seeds" and i + 1 < len(argv):
            raw = argv[i + 1]
        elif arg.startswith("--seeds="):
            raw = arg.split("=", 1)[1]
    raw = raw or environ.get("SEEDS", "") or environ.get("SEED", "") or "2026"
    return [int(part) for part in raw.replace(" ", ",").split(",") if part.strip()]


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipdesk.settings")
    import django

    django.setup()
    import logging

    # The injected HTTP 500s would otherwise print a traceback each.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    seeds = seeds_from(sys.argv[1:], os.environ)
    results: list[tuple[int, int, float]] = []
    for seed in seeds:
        print(f"-- seed {seed}: {ROUNDS} rounds, {KILLS} worker kill(s) --", flush=True)
        started = time.perf_counter()
        counts = run_one(seed)
        results.append((seed, len(counts.mismatches), time.perf_counter() - started))
    total = sum(n for _, n, _ in results)
    print(f"seeds run: {len(results)}; mismatches per seed:")
    for seed, n, elapsed in results:
        print(f"  seed {seed}: {n} mismatch(es) ({elapsed:.0f} s)")
    print(f"total mismatches: {total}")
    return 1 if total else 0


def run_one(seed: int) -> Counts:
    """One campaign on its own throwaway database and sandbox server."""
    from django.conf import settings
    from django.db import connection

    from bench._db import throwaway_db
    from bench._sandbox import Spans, serve_here

    settings.STAMPS_SANDBOX = True
    settings.DEBUG = False
    settings.STAMPS_TIMEOUT = 1
    settings.STAMPS_RETRY_BACKOFF_MS = 0
    poll_seconds = settings.FUNDING_POLL_SECONDS
    server = None
    with throwaway_db("bench_fault_campaign"):
        try:
            from carriers.stamps import client as stamps_client
            from carriers.stamps.sandbox import api
            from funding import jobs
            from tests.factories import make_merchant
            from tests.support import ROOT

            server = serve_here(Spans())
            url = f"http://127.0.0.1:{server.server_port}/sandbox/stamps/swsim.asmx"
            settings.STAMPS_SANDBOX_URL = url
            stamps_client.reset_wsdl_cache()
            api.reset()
            merchant = make_merchant("Campaign Goods", owner_email="campaign@bench.test")
            campaign = Campaign(api, [], seed=seed)
            campaign.accounts = make_accounts(api, merchant, 4, campaign=campaign)
            accounts = campaign.accounts
            s = connection.settings_dict
            db_url = (
                f"sqlite:///{s['NAME']}"
                if connection.vendor == "sqlite"
                else f"postgres://{s.get('USER') or ''}@{s.get('HOST') or '127.0.0.1'}"
                f":{s.get('PORT') or 5432}/{s['NAME']}"
            )
            env = {
                **os.environ,
                "DATABASE_URL": db_url,
                "STAMPS_SANDBOX_URL": url,
                "STAMPS_TIMEOUT": "1",
                "STAMPS_RETRY_BACKOFF_MS": "0",
                "Q_WORKERS": "1",
                "STAMPS_SANDBOX": "1",
                "LABEL_BATCH_THREADS": "2",
            }
            os.chdir(ROOT)
            started = time.perf_counter()
            per_leg = max(1, ROUNDS // (KILLS + 1))
            for leg in range(KILLS + 1):
                campaign.run(per_leg)
                if leg < KILLS:
                    _kill_a_worker_mid_job(api, accounts, campaign.counts, env)
                    _kill_a_worker_mid_batch(campaign, env)
            # What the periodic sweep does for jobs that died with their worker.
            settings.FUNDING_POLL_SECONDS = 0
            jobs.sweep_purchases()
            campaign.verify()
            elapsed = time.perf_counter() - started
            print(campaign.counts.report())
            print(f"{elapsed:.1f} s, {len(campaign.accounts)} accounts", flush=True)
            return campaign.counts
        finally:
            settings.FUNDING_POLL_SECONDS = poll_seconds
            if server is not None:
                server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
