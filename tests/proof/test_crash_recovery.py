"""R14: a purchase reserved by a worker that died before Stamps.com answered is finished
by the follow-up, even when labels have moved the account's control total since."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from funding import ledger, purchases
from funding.models import PostagePurchase
from tests.proof.test_fault_campaign import fast_sandbox  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_purchase_left_sending_by_a_dead_worker_settles_after_labels_moved_the_control_total(
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

    assert purchase.status == PostagePurchase.Status.SUCCESS
    assert ledger.ledger_balance(account) == fast_sandbox.get_balance(account.username)
    assert len(fast_sandbox.purchases(account.username)) == 1
