from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from orders.models import Order, ShipFromLocation
from shipdesk.models import Merchant

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
