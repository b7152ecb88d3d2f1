"""Concurrent purchases and auto-funding checks on PostgreSQL (real threads, real locks).

SQLite has one writer at a time, so these run only when the test database is PostgreSQL
(`make test` runs the suite on PostgreSQL too when CI=true).
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from funding import auto_funding, ledger, purchases
from funding.models import LedgerEntry, PostagePurchase

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks (CI=true runs it)"
    ),
]


def _together(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads released at the same moment."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # reported by the assertions below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_R44a_R14_of_two_concurrent_purchases_one_is_sent_the_other_waits(
    sandbox_account, sandbox, settings
):
    settings.STAMPS_TIMEOUT = 10  # slow, not lost: a loaded machine must not time it out
    account = sandbox_account(balance="100.00")
    # Slow answers: the first purchase is still unconfirmed when the second is asked for.
    sandbox.set_fault("PurchasePostage", "delay", delay=0.5, times=2)
    results = _together(2, lambda i: purchases.add_funds(account, Decimal("50")))
    bought = [r for r in results if isinstance(r, PostagePurchase)]
    assert [r.status for r in bought] == ["success"], results
    assert sum(isinstance(r, purchases.StillConfirming) for r in results) == 1, results
    assert PostagePurchase.objects.count() == 1
    assert len(sandbox.purchases("acme-ship")) == 1
    assert sandbox.get_balance("acme-ship") == Decimal("150.00")
    account.refresh_from_db()
    assert account.balance == Decimal("150.00") == ledger.ledger_balance(account)
    balances = list(
        LedgerEntry.objects.filter(account=account).order_by("pk").values_list("balance_after")
    )
    assert balances == [(Decimal("100.00"),), (Decimal("150.00"),)]


def test_R11_concurrent_purchases_cannot_pass_the_maximum_together(sandbox_account, sandbox):
    account = sandbox_account(balance="9940.00")
    results = _together(2, lambda i: purchases.add_funds(account, Decimal("50")))
    assert sum(isinstance(r, PostagePurchase) for r in results) == 1
    # Refused for the maximum, or (R44a) while the other one is unconfirmed.
    refused = (purchases.AboveMaximum, purchases.StillConfirming)
    assert sum(isinstance(r, refused) for r in results) == 1
    assert sandbox.get_balance("acme-ship") == Decimal("9990.00")


def test_R13_several_workers_checking_one_drop_buy_once(sandbox_account, sandbox):
    account = sandbox_account(balance="100.00")
    auto_funding.save_auto_funding(
        account, enabled=True, threshold=Decimal("50"), amount=Decimal("25"), max_per_day=5
    )
    carrier_side = sandbox.get_account("acme-ship")
    carrier_side.balance = Decimal("40.00")
    carrier_side.save()
    with transaction.atomic():
        # record the label without the after-commit check, so only the workers below check
        ledger.record_entry(
            account, kind="label", amount=Decimal("-60"), idempotency_key="label:race"
        )
    results = _together(4, lambda i: auto_funding.check_auto_funding(account.pk))
    assert sum(isinstance(r, PostagePurchase) for r in results) == 1, results
    assert len(sandbox.purchases("acme-ship")) == 1
    assert sandbox.get_balance("acme-ship") == Decimal("65.00")
    assert ledger.ledger_balance(account) == Decimal("65.00")
