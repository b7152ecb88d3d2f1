"""A support agent finds a merchant from a tracking number and sees the failing carrier call."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from carriers.models import CarrierAccount, CarrierCall
from merchants.models import AuditLog
from tests.factories import PASSWORD as LOGIN_PASSWORD
from tests.factories import (
    SUPPORT_WHY,
    make_carrier_account,
    make_merchant,
    make_support_agent,
)
from tests.shipments.factories import make_shipment

pytestmark = pytest.mark.django_db(transaction=True)

TRACKING = "9400111899223344556677"


def test_support_agent_finds_the_merchant_and_its_failing_call(page):
    make_merchant("Decoy Goods", owner_email="owner@decoy.test")
    merchant = make_merchant("Harbor Supply", owner_email="owner@harbor.test")
    account = make_carrier_account(
        merchant,
        "Harbor postage",
        username="harbor-post",
        status=CarrierAccount.Status.NEEDS_REAUTH,
    )
    CarrierCall.objects.create(
        merchant=merchant,
        account=account,
        username="harbor-post",
        operation="CreateIndicium",
        started_at=timezone.now(),
        outcome=CarrierCall.Outcome.FAULT,
        fault_code="002b0202",
        fault_text="Authentication Failed",
        merchant_message="Stamps.com no longer accepts the saved password: update it.",
    )
    make_shipment(merchant, "A-5001", account=account, tracking_number=TRACKING)
    agent = make_support_agent()

    page.goto("/support/")  # the agent's bookmark: sign in, then straight to the console
    page.get_by_label("E-mail").fill(agent.email)
    page.get_by_label("Password").fill(LOGIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Support")).to_have_attribute("aria-current", "page")

    page.get_by_role("searchbox", name="Search").fill(TRACKING)
    page.get_by_label("Why").fill(SUPPORT_WHY)
    page.get_by_role("button", name="Search").click()
    results = page.locator(".support-results")
    expect(results.first).to_contain_text("Harbor Supply")
    expect(page.locator("main")).not_to_contain_text("Decoy Goods")
    results.first.get_by_role("link", name="Harbor Supply").first.click()

    expect(page.get_by_role("heading", name="Harbor Supply", level=1)).to_be_visible()
    expect(page.locator("#shipment")).to_contain_text(TRACKING)
    errors = page.locator("#carrier-errors")
    expect(errors).to_contain_text("CreateIndicium")
    expect(errors).to_contain_text("Authentication Failed")
    expect(errors).to_contain_text("no longer accepts the saved password")
    assert page.console_errors == []
    assert list(AuditLog.objects.order_by("pk").values_list("action", "query", "reason")) == [
        ("view", "", ""),
        ("search", TRACKING, SUPPORT_WHY),
        ("view", "", SUPPORT_WHY),
    ]
