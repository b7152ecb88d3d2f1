"""R14, R44: a purchase reserved by a worker that died before Stamps.com answered is judged
by the carrier's balance, never sent again, even when labels have moved the control total."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from funding import ledger, purchases
from funding.models import PostagePurchase
from tests.proof.test_fault_campaign import fast_sandbox  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_purchase_left_sending_by_a_dead_worker_is_judged_by_the_balance_never_resent_R44(
    fast_sandbox,  # noqa: F811
    merchant,
):
    from tests.proof.campaign import make_accounts

    (account,) = make_accounts(fast_sandbox, merchant, 1)
    purchase = purchases.reserve_purchase(account, Decimal("25"))  # then the worker died
    carrier_side = fast_sandbox.get_account(account.username)
    carrier_side.balance -= Decimal("7.15")
    carrier_side.control_total += Decimal("7.15")
    carrier_side.save(update_fields=["balance", "control_total"])
    with transaction.atomic():
        ledger.debit_for_label(account, Decimal("7.15"), "L-1")

    purchase = purchases.resolve_purchase(purchase)

    # It never reached Stamps.com: the balance does not show it, so nothing was bought, the
    # merchant is told so, and it is not sent now (a re-sent purchase could be bought twice).
    assert purchase.status == PostagePurchase.Status.REJECTED
    assert purchase.rejection_reason == purchases.NOT_BOUGHT
    assert fast_sandbox.purchases(account.username) == []
    assert ledger.ledger_balance(account) == fast_sandbox.get_balance(account.username)


def test_a_purchase_that_reached_stamps_before_the_worker_died_is_settled_from_the_balance(
    fast_sandbox,  # noqa: F811
    merchant,
):
    from bench.fault_campaign import make_accounts

    (account,) = make_accounts(fast_sandbox, merchant, 1)
    fast_sandbox.set_fault("PurchasePostage", "drop_after_commit")
    purchase = purchases.add_funds(account, Decimal("25"))
    assert purchase.status == PostagePurchase.Status.UNKNOWN

    purchase = purchases.resolve_purchase(purchase)

    assert purchase.status == PostagePurchase.Status.SUCCESS
    assert len(fast_sandbox.purchases(account.username)) == 1
    assert ledger.ledger_balance(account) == fast_sandbox.get_balance(account.username)
