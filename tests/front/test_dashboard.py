"""The dashboard shows each member what their role may see (merchants.permissions)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from merchants.permissions import Role
from tests.factories import make_carrier_account, make_member

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "sees"), [(Role.ADMIN, True), (Role.VIEWER, True), (Role.SHIPPER, False)]
)
def test_the_postage_balance_shows_only_to_roles_that_see_funds(merchant, role, sees):
    """A shipper may not see balances (Perm.FUNDS_VIEW): the Funds page refuses them, and the
    dashboard showed the figure all the same."""
    make_carrier_account(merchant, balance=Decimal("1234.56"))
    client = Client()
    client.force_login(make_member(merchant, f"{role}@acme.test", role=role))
    page = client.get(reverse("home")).text
    assert ("1,234.56" in page) is sees
    assert ("Postage balance" in page) is sees
    assert (client.get(reverse("funding:home")).status_code == 200) is sees
