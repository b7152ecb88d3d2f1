"""Money records in the Django admin: readable, changed only through the funding services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from funding.models import AutoFunding
from tests.factories import admin_url, make_carrier_account

pytestmark = pytest.mark.django_db


def test_R10_R11_an_admin_cannot_set_auto_funding_past_the_services_checks(admin_client, merchant):
    account = make_carrier_account(merchant)
    auto = AutoFunding.objects.create(merchant=merchant, account=account, enabled=False)
    change = admin_url(AutoFunding, "change", auto.pk)
    assert "_save" not in admin_client.get(change).text
    # $5.00 is under the $10.00 minimum purchase and $20,000 over the maximum balance; the
    # funds page refuses both and records who changed the setting.
    for amount in ("5.00", "20000.00"):
        response = admin_client.post(
            change,
            {"enabled": "on", "threshold": "50.00", "amount": amount, "max_per_day": "100"},
        )
        assert response.status_code == 403
    response = admin_client.post(admin_url(AutoFunding, "delete", auto.pk), {"post": "yes"})
    assert response.status_code == 403
    changelist = admin_client.get(admin_url(AutoFunding, "changelist")).text
    assert 'value="delete_selected"' not in changelist
    auto.refresh_from_db()
    assert not auto.enabled and auto.amount == Decimal("100.00")
