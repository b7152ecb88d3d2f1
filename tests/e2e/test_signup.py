from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_up_lands_on_the_dashboard_with_navigation(page):
    page.goto("/signup/")
    page.get_by_label("Company name").fill("Lighthouse Candles")
    page.get_by_label("Work e-mail").fill("hello@lighthouse.test")
    page.get_by_label("Password").fill("tide-pool-lantern-42")
    page.get_by_label("Time zone").select_option("America/Denver")
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Lighthouse Candles")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    for item in ["Orders", "Shipments", "Carriers", "Funds", "Automation", "Settings"]:
        expect(nav.get_by_role("link", name=item, exact=True)).to_be_visible()
    # CSP violations and failed loads would show up as console errors.
    assert page.console_errors == []
