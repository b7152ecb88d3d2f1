"""Fund additions and auto-funding changes record who did it (issue 19)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from funding import auto_funding, purchases
from funding.models import AutoFunding, LedgerEntry, PostagePurchase
from merchants.permissions import NotAllowed
from tests.factories import make_member

pytestmark = pytest.mark.django_db(transaction=True)


def test_adding_funds_records_the_admin_on_the_purchase_and_the_ledger(
    sandbox_account, sandbox, merchant, owner_client
):
    account = sandbox_account(balance="5.00")
    admin = make_member(merchant, "money@acme.test", role="admin")
    purchase = purchases.add_funds(account, Decimal("25"), by=admin)
    assert purchase.requested_by == admin
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.PURCHASE)
    assert entry.by == admin
    assert "money@acme.test" in owner_client.get(reverse("funding:home")).text


def test_auto_funding_changes_name_the_person(
    sandbox_account, sandbox, merchant, owner, owner_client
):
    account = sandbox_account(balance="50.00")
    response = owner_client.post(
        reverse("funding:auto-funding", args=[account.pk]),
        {"enabled": "on", "threshold": "10", "amount": "50", "max_per_day": "2"},
    )
    assert response.status_code in {200, 302}
    assert AutoFunding.objects.get(account=account).changed_by == owner
    page = owner_client.get(reverse("funding:home")).text
    assert "Last changed by owner@acme.test" in page
    support = make_member(merchant, "other@acme.test", role="admin")
    auto_funding.save_auto_funding(
        account, enabled=False, threshold=Decimal(10), amount=Decimal(50), max_per_day=2, by=support
    )
    assert AutoFunding.objects.get(account=account).changed_by == support


def test_a_shipper_cannot_add_funds_even_through_the_service(sandbox_account, sandbox, merchant):
    account = sandbox_account(balance="5.00")
    shipper = make_member(merchant, "ship@acme.test", role="shipper")
    with pytest.raises(NotAllowed):
        purchases.add_funds(account, Decimal("25"), by=shipper)
    with pytest.raises(NotAllowed):
        auto_funding.save_auto_funding(
            account, enabled=True, threshold=Decimal(10), amount=Decimal(50), max_per_day=2,
            by=shipper,
        )  # fmt: skip
    assert not PostagePurchase.objects.exists() and not AutoFunding.objects.exists()
    assert sandbox.get_balance(account.username) == Decimal("5.00")
