from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import confirmation_link

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


def test_sign_up_then_confirm_through_the_emailed_link_before_connecting(page):
    """Until the e-mail is confirmed the store cannot connect Stamps.com (issue 13)."""
    page.goto("/signup/")
    page.get_by_label("Company name").fill("Harbor Soap")
    page.get_by_label("Work e-mail").fill("hello@harborsoap.test")
    page.get_by_label("Password").fill("tide-pool-lantern-42")
    page.get_by_role("button", name="Create account").click()
    banner = page.locator("#confirm-email-banner")
    expect(banner).to_contain_text("Confirm your e-mail address (hello@harborsoap.test)")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Carriers").click()
    page.get_by_role("link", name="Connect").click()
    expect(page.get_by_role("heading", name="Confirm your e-mail first")).to_be_visible()
    page.get_by_role("button", name="Resend the confirmation e-mail").first.click()
    expect(page.get_by_text("We sent a new confirmation link")).to_be_visible()

    page.goto(confirmation_link("hello@harborsoap.test"))
    expect(page.get_by_text("Thanks, hello@harborsoap.test is confirmed.")).to_be_visible()
    expect(page.locator("#confirm-email-banner")).to_have_count(0)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Carriers").click()
    page.get_by_role("link", name="Connect").click()
    expect(page.get_by_label("I already have a Stamps.com account")).to_be_visible()
    # The refusal page is served as a 403 on purpose; anything else is a real error.
    assert [e for e in page.console_errors if "status of 403" not in e] == []
