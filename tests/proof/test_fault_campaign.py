"""R13, R14: a short randomized fault campaign (the long one, with workers killed mid-job and
mid-batch, is ``python -m bench fault_campaign``). Random purchases, labels and voids (real
ones through shipments.labels, faults on CreateIndicium and CancelIndicium), label batches
(their job run inline, some dying after their first label and resumed), auto-fundings,
follow-ups and syncs with delays, timeouts, HTTP 500s and answers dropped after the carrier
committed: the ledger equals the carrier's balance to the cent for every account, no
purchase or label happens twice, nothing is left in flight (every batch done, every order
shipped or awaiting shipment). Faults also hit the WSDL fetch and the very first call of
each new account (issue 20). Voids are refunds the carrier credits seconds later, followed up
by the refund job (R41); conversation faults (0x002b0204) never reach the merchant (R38).

Each run adds a fresh random seed to the fixed ones, printed in the test's id and report;
replay a failure with ``SEED=<seed> make test`` (or pytest -k random)."""

from __future__ import annotations

import os
import random

import pytest

from tests.proof.campaign import Campaign, make_accounts

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROUNDS = 150
FIXED_SEEDS = [14, 8143]
# Not the wall clock: the OS's entropy, so every run tries a seed no run has tried before.
RANDOM_SEED = int(os.environ.get("SEED") or random.SystemRandom().randrange(1, 1_000_000))
print(f"fault campaign: random seed {RANDOM_SEED} (replay with SEED={RANDOM_SEED})")


@pytest.fixture
def fast_sandbox(sandbox, settings, monkeypatch):
    """The root sandbox fixture with a short timeout and background jobs run inline."""
    from django_q.conf import Conf

    settings.STAMPS_TIMEOUT = 0.4
    settings.FUNDING_POLL_SECONDS = 0
    monkeypatch.setattr(Conf, "SYNC", True)
    yield sandbox


@pytest.mark.parametrize(
    "seed",
    [*FIXED_SEEDS, pytest.param(RANDOM_SEED, id=f"random-{RANDOM_SEED}")],
)
def test_R14_random_money_movements_under_faults_reconcile_to_the_cent(
    fast_sandbox, merchant, seed
):
    campaign = Campaign(fast_sandbox, [], seed=seed, timeout_delay=0.5)
    campaign.accounts = make_accounts(fast_sandbox, merchant, 3, campaign=campaign)
    campaign.run(ROUNDS)
    problems = campaign.verify()
    print(campaign.counts.report())
    # A failure names its seed and shows each bad account's ledger beside the carrier's.
    assert problems == [], campaign.counts.report()
    if seed not in FIXED_SEEDS:
        return  # what a random seed exercised varies; it only has to end in agreement
    counts = campaign.counts
    assert counts.wsdl_faults > 0 and counts.first_call_faults > 0
    assert sum(counts.operations.values()) == ROUNDS
    assert sum(counts.faults.values()) >= ROUNDS // 4
    assert set(counts.faults) == {"delay", "timeout", "http500", "drop_after_commit",
                                  "out_of_sync"}  # fmt: skip
    assert counts.refunds_credited > 0 and counts.conversation_faults_shown == 0
    assert counts.retries > 0
    assert counts.operations["buy_label"] > 0 and counts.operations["void_label"] > 0
    assert counts.batches > 0 and counts.batch_deaths > 0 and counts.batch_resumes > 0
    assert counts.batch_labels > 0
