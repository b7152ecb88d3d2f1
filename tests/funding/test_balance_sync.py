"""R11, R13, R14a: the stored balance (the funds page's figure, auto-funding's threshold, the
maximum balance, a label's pre-check) counts every movement once. "Refresh balance" pressed
while a movement is between the books (Stamps.com has it, the ledger not yet) keeps
ShipDesk's own figure; the entry that records the movement moves it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from carriers.models import CarrierAccount
from funding import purchases
from funding.ledger import ledger_balance

pytestmark = pytest.mark.django_db(transaction=True)


HTMX = {"HX-Request": "true"}


def test_R14a_refreshing_the_balance_while_funds_are_being_added_counts_them_once(
    sandbox_account, sandbox, owner_client, monkeypatch
):
    account = sandbox_account(balance="50.00")
    purchases.sync_balance(account)  # the book opens at 50.00
    answered = purchases._purchase_with_current_control_total
    refreshed = []

    def answered_then_someone_refreshes(purchase):
        answer = answered(purchase)  # Stamps.com added the $25; ShipDesk has not recorded it
        # Another tab, or another member, presses "Refresh balance" now.
        refreshed.append(
            owner_client.post(reverse("funding:sync", args=[account.pk]), headers=HTMX)
        )
        return answer

    monkeypatch.setattr(
        purchases, "_purchase_with_current_control_total", answered_then_someone_refreshes
    )
    purchases.add_funds(account, Decimal("25.00"))
    assert refreshed and refreshed[0].status_code == 200
    # The merchant is told why the figure shown is not Stamps.com's of that moment.
    assert "A postage purchase is being confirmed with Stamps.com, so the balance shown" in (
        refreshed[0].text
    )
    account = CarrierAccount.objects.get(pk=account.pk)
    assert sandbox.get_balance("acme-ship") == Decimal("75.00")
    assert ledger_balance(account) == Decimal("75.00")
    assert account.balance == Decimal("75.00")  # was $100.00: the $25 counted twice
    # R11 reads the same figure: $9,925.00 still fits under the $10,000.00 maximum.
    assert purchases.room_to_add(account) == Decimal("9925.00")
