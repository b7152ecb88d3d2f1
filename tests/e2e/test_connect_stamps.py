"""Both Stamps.com connect flows in a real browser, against the sandbox (R1, R2, R4)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from carriers.models import CarrierAccount, PhoneVerification
from tests.factories import PASSWORD as LOGIN_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(LOGIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def open_connect(page):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Carriers").click()
    expect(page.get_by_role("heading", name="Your Carrier Accounts")).to_be_visible()
    page.get_by_role("link", name="Connect").click()


def test_existing_account_with_a_wrong_password_then_the_right_one(page, owner, sandbox):
    sandbox.create_account("harbor-post", "right-password-1", balance="75.00", plan="personal")
    sign_in(page, owner.email)
    open_connect(page)
    page.get_by_label("I already have a Stamps.com account").check()
    page.get_by_role("button", name="Next").click()

    page.get_by_label("Stamps.com username").fill("harbor-post")
    page.get_by_label("Stamps.com password").fill("wrong-password")
    page.get_by_label("Account nickname").fill("Harbor postage")
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("alert")).to_contain_text("did not accept this username and password")
    expect(page.get_by_label("Stamps.com username")).to_have_value("harbor-post")
    expect(page.get_by_label("Account nickname")).to_have_value("Harbor postage")
    expect(page.get_by_label("Stamps.com password")).to_have_value("")

    page.get_by_label("Stamps.com password").fill("right-password-1")
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_text("Connected “Harbor postage”")).to_be_visible()
    row = page.locator("tr", has_text="Harbor postage")
    expect(row).to_contain_text("Active")
    expect(row).to_contain_text("$75.00")


def test_new_account_with_sms_verification_wrong_expired_and_resent_codes(
    page, owner, sandbox, settings
):
    settings.SMS_BACKEND = "console"
    sign_in(page, owner.email)
    open_connect(page)
    page.get_by_label("Set up a new Stamps.com account").check()
    page.get_by_role("button", name="Next").click()

    page.get_by_label("Full name").fill("Pat Shipper")
    page.get_by_label("Address", exact=True).fill("100 Main St")
    page.get_by_label("City").fill("Brooklyn")
    page.get_by_label("State").select_option("NY")
    page.get_by_label("ZIP code", exact=True).fill("11201")
    page.get_by_label("E-mail").fill("pat@acme.test")
    page.get_by_label("Choose a Stamps.com username").fill("acme-ships")
    page.get_by_label("Choose a Stamps.com password").fill("parcel-power-9")
    page.get_by_label("Card number").fill("4111 1111 1111 1111")
    page.get_by_label("Expiry (MM/YY)").fill("12/39")
    page.get_by_label("Security code").fill("123")
    page.get_by_label("Billing ZIP code").fill("11201")
    page.get_by_role("button", name="Create Free Account").click()

    expect(page.get_by_role("heading", name="2-step verification")).to_be_visible()
    page.get_by_label("Mobile phone number").fill("415 555 0132")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("We texted a 6-digit code to (415) 555-0132")).to_be_visible()
    resend = page.get_by_role("button", name=re.compile("Resend code in"))
    expect(resend).to_be_disabled()

    page.get_by_label("Verification code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text(re.compile("tries left for this code"))).to_be_visible()

    # Let the code expire, as if 10 minutes had passed.
    account = CarrierAccount.objects.get(username="acme-ships")
    PhoneVerification.objects.filter(account=account).update(
        expires_at=timezone.now() - timedelta(seconds=1),
        sent_at=timezone.now() - timedelta(minutes=10),
    )
    code = page.locator(".dev-code").inner_text()
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("This code has expired")).to_be_visible()

    page.get_by_role("button", name="Resend code", exact=True).click()
    expect(page.get_by_text("We texted a 6-digit code")).to_be_visible()
    page.get_by_label("Verification code").fill(page.locator(".dev-code").inner_text())
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("is verified")).to_be_visible()
    expect(page.locator("tr", has_text="acme-ships")).to_contain_text("Active")
    assert sandbox.get_account("acme-ships").status == "active"
