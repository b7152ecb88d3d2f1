"""Add funds in a browser: the pending state turns into the new balance (a real django-q2
worker follows the purchase against the sandbox), then auto-funding is turned on (R10, R13)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from playwright.sync_api import expect

from carriers.models import CarrierAccount
from tests.support import qcluster

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

SANDBOX_PATH = "/sandbox/stamps/swsim.asmx"


@pytest.fixture
def sandbox_url(live_server, settings):
    from carriers.stamps.sandbox import api

    url = f"{live_server.url}{SANDBOX_PATH}"
    settings.STAMPS_SANDBOX = True
    settings.STAMPS_WSDL_URL = ""
    settings.STAMPS_SERVICE_URL = ""
    settings.STAMPS_SANDBOX_URL = url
    api.reset()
    return url


def test_R10_adding_funds_shows_pending_then_the_new_balance_and_R13_turns_on_auto_funding(
    page, live_server, sandbox_url, merchant, owner
):
    from carriers.stamps.sandbox import api

    api.create_account("acme-e2e", "sandbox-pass-1", balance=Decimal("5.00"))
    api.set_pending_settlement(calls=2, seconds=60)
    account = CarrierAccount.objects.create(
        merchant=merchant,
        nickname="Main postage",
        username="acme-e2e",
        password="sandbox-pass-1",
        balance=Decimal("5.00"),
        is_default=True,
    )
    client = Client()
    client.force_login(owner)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    card = page.locator(f"#account-{account.pk}")
    with qcluster(clusters=("",), STAMPS_SANDBOX="1", STAMPS_SANDBOX_URL=sandbox_url):
        page.goto("/funds/")
        expect(card.get_by_test_id("balance")).to_have_text("$5.00")
        card.get_by_label("Other amount").fill("20.01")  # the sandbox answers Pending
        card.get_by_role("button", name="Add funds").click()
        expect(card.get_by_test_id("in-flight")).to_contain_text("Pending", timeout=15_000)
        expect(card.get_by_test_id("balance")).to_have_text("$25.01", timeout=45_000)
        expect(card.get_by_test_id("in-flight")).to_have_count(0)
    assert api.get_balance("acme-e2e") == Decimal("25.01")

    card.get_by_label("Turn on auto-funding").check()
    card.get_by_label("When the balance drops below ($)").fill("15")
    card.get_by_label("Add ($)").fill("50")
    card.get_by_label("At most (times a day)").fill("2")
    card.get_by_role("button", name="Save auto-funding").click()
    expect(card.get_by_test_id("auto-status")).to_contain_text("below $15.00, add $50.00")
    assert page.console_errors == []
