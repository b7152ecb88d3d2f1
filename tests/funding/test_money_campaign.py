"""R14 quality bar in small: random purchases, labels and voids with injected faults (lost
answers after the carrier committed, HTTP 500s, pending purchases) end with the ledger equal
to the carrier's balance to the cent, and no purchase made twice."""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from decimal import Decimal

import pytest
from django.db import transaction

from funding import auto_funding, ledger, purchases, reconciliation
from funding.models import PostagePurchase

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROUNDS = 40


def test_R14_random_money_movements_with_faults_reconcile_to_the_cent(make_account, sandbox):
    rng = random.Random(6)
    account = make_account(balance="500.00")
    sandbox.set_pending_settlement(calls=1, seconds=600)
    auto_funding.save_auto_funding(
        account, enabled=True, threshold=Decimal("100"), amount=Decimal("200"), max_per_day=24
    )
    labels: list[tuple[str, Decimal]] = []
    for i in range(ROUNDS):
        move = rng.choice(["buy", "buy", "label", "label", "void"])
        if move == "buy":
            fault = rng.choice([None, "drop_after_commit", "http500", "pending"])
            amount = Decimal(rng.choice(["10", "25", "50", "100"]))
            if fault == "pending":
                amount = Decimal("20.01")
            elif fault:
                sandbox.set_fault("PurchasePostage", fault, times=1)
            with contextlib.suppress(purchases.FundsError):
                purchases.add_funds(account, amount)
            sandbox.clear_faults()
        elif move == "label":
            cost = Decimal(rng.randint(300, 4000)) / 100
            carrier_side = sandbox.get_account("acme-ship")
            if carrier_side.balance < cost:
                continue
            carrier_side.balance -= cost
            carrier_side.control_total += cost
            carrier_side.save()
            with transaction.atomic():
                ledger.debit_for_label(account, cost, f"L{i}")
            labels.append((f"L{i}", cost))
        elif labels:
            ref, cost = labels.pop(rng.randrange(len(labels)))
            carrier_side = sandbox.get_account("acme-ship")
            carrier_side.balance += cost
            carrier_side.save()
            with transaction.atomic():
                ledger.refund_for_void(account, cost, ref)
    for purchase in PostagePurchase.objects.filter(status__in=PostagePurchase.IN_FLIGHT):
        purchases.resolve_purchase(purchase)

    assert reconciliation.reconcile(account) is None  # no drift
    account.refresh_from_db()
    carrier = sandbox.get_balance("acme-ship")
    assert ledger.ledger_balance(account) == carrier == account.balance
    tx_ids = Counter(p.integrator_tx_id for p in sandbox.purchases("acme-ship"))
    assert all(n == 1 for n in tx_ids.values())
    ours = set(
        PostagePurchase.objects.filter(status="success").values_list("integrator_tx_id", flat=True)
    )
    assert ours == set(tx_ids)
