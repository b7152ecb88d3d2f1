"""R13, R14: a short randomized fault campaign (the long one, with workers killed mid-job and
mid-batch, is ``python -m bench fault_campaign``). Random purchases, labels and voids (real
ones through shipments.labels, faults on CreateIndicium and CancelIndicium), label batches
(their job run inline, some dying after their first label and resumed), auto-fundings,
follow-ups and syncs with delays, timeouts, HTTP 500s and answers dropped after the carrier
committed: the ledger equals the carrier's balance to the cent for every account, no
purchase or label happens twice, nothing is left in flight (every batch done, every order
shipped or awaiting shipment)."""

from __future__ import annotations

import pytest

from bench.fault_campaign import Campaign, make_accounts

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROUNDS = 150


@pytest.fixture
def fast_sandbox(sandbox, settings, monkeypatch):
    """The root sandbox fixture with a short timeout and background jobs run inline."""
    from django_q.conf import Conf

    settings.STAMPS_TIMEOUT = 0.4
    settings.FUNDING_POLL_SECONDS = 0
    monkeypatch.setattr(Conf, "SYNC", True)
    yield sandbox


def test_R14_random_money_movements_under_faults_reconcile_to_the_cent(fast_sandbox, merchant):
    accounts = make_accounts(fast_sandbox, merchant, 3)
    campaign = Campaign(fast_sandbox, accounts, seed=14, timeout_delay=0.5)
    campaign.run(ROUNDS)
    problems = campaign.verify()
    print(campaign.counts.report())
    counts = campaign.counts
    assert sum(counts.operations.values()) == ROUNDS
    assert sum(counts.faults.values()) >= ROUNDS // 4
    assert set(counts.faults) == {"delay", "timeout", "http500", "drop_after_commit"}
    assert counts.retries > 0
    assert counts.operations["buy_label"] > 0 and counts.operations["void_label"] > 0
    assert counts.batches > 0 and counts.batch_deaths > 0 and counts.batch_resumes > 0
    assert counts.batch_labels > 0
    assert problems == []
