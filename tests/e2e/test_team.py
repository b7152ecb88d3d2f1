"""In a browser (issue 19): the owner invites a shipper, the shipper accepts, buys a label,
cannot open funds or carrier settings, and the ledger shows who bought."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from shipments.models import Shipment
from tests.factories import PASSWORD, make_order, make_ship_from

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_owner_invites_a_shipper_who_buys_but_cannot_touch_money(
    page,
    browser,
    live_server,
    sandbox,
    merchant,
    owner,
    sandbox_account,
):
    sandbox_account("acme-team", balance="100.00", nickname="Main postage")
    order = make_order(
        merchant, "TEAM-1", ship_from=make_ship_from(merchant), service="US-PM", weight_lb=1
    )

    sign_in(page, owner.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Members").first.click()
    page.get_by_label("E-mail").fill("packer@acme.test")
    page.get_by_label("Role").select_option("shipper")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to packer@acme.test.")).to_be_visible()

    from django.core import mail

    link = re.search(r"https?://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)
    shipper = browser.new_context(base_url=live_server.url).new_page()
    shipper.goto(link)
    shipper.get_by_label("Password").fill("packing-tape-dispenser-9")
    shipper.get_by_role("button", name="Join Acme Outfitters").click()
    expect(shipper.get_by_text("Welcome to Acme Outfitters.")).to_be_visible()
    nav = shipper.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Funds")).to_have_count(0)

    shipper.goto(f"/orders/{order.pk}/")
    expect(shipper.locator('#rates-table tr[data-service="US-PM"]')).to_be_visible()
    shipper.get_by_role("button", name="Buy label").click()
    expect(shipper).to_have_url(re.compile(r"/shipments/\d+/$"))
    expect(shipper.get_by_test_id("bought-by")).to_have_text("packer@acme.test")

    for url in ("/funds/", "/settings/carriers/", "/settings/carriers/stamps/connect/"):
        shipper.goto(url)
        expect(shipper.get_by_role("heading", name="Your role doesn't allow this")).to_be_visible()
        expect(shipper.get_by_text("(shipper)")).to_be_visible()

    page.goto("/funds/")
    row = page.locator("#ledger tr.ledger-label").first
    expect(row.get_by_test_id("ledger-by")).to_have_text("packer@acme.test")
    assert Shipment.objects.get(order=order).bought_by.email == "packer@acme.test"
    assert page.console_errors == []
