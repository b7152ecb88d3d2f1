"""Your Carrier Accounts: balances read as money, as on the Funds page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import make_carrier_account

pytestmark = pytest.mark.django_db


def test_a_balance_over_a_thousand_dollars_has_its_thousands_separator(owner_client, merchant):
    make_carrier_account(merchant, balance=Decimal("9474.5"))
    page = owner_client.get(reverse("carriers:list")).text
    assert "$9,474.50" in page
    assert "$9474.5" not in page
