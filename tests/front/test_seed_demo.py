from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from locations.models import ShipFromLocation
from merchants.models import Merchant
from orders.models import Order

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_the_demo_login_works(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    assert "demo@shipdesk.test / demo-shipdesk" in capsys.readouterr().out
    merchant = Merchant.objects.get(slug="demo")
    orders = Order.objects.for_merchant(merchant)
    assert orders.count() == 50
    assert ShipFromLocation.objects.for_merchant(merchant).get().time_zone
    countries = set(orders.values_list("country", flat=True))
    assert {"US", "CA", "HK"} <= countries  # HK has no postal codes
    assert orders.filter(state__in=["AA", "AE", "AP"]).exists()
    assert all(o.items.exists() for o in orders)
    client = Client()
    response = client.post(
        "/accounts/login/",
        {"username": "demo@shipdesk.test", "password": "demo-shipdesk"},
        follow=True,
    )
    assert "Evergreen Goods Co." in response.text


def test_seed_demo_connects_a_verified_funded_sandbox_account(settings):
    from carriers.models import CarrierAccount
    from carriers.stamps.sandbox import api as sandbox
    from funding.ledger import ledger_balance

    settings.STAMPS_SANDBOX = True
    call_command("seed_demo")
    call_command("seed_demo")
    account = CarrierAccount.objects.get(merchant__slug="demo")
    assert account.status == "active" and account.verified_at and account.is_default
    assert account.balance == sandbox.get_balance(account.username) > 0
    assert ledger_balance(account) == account.balance  # the ledger starts where the carrier is
