"""In a browser: an order with a misspelled street is corrected before the rates show and the
merchant sees what changed; an address Stamps.com cannot verify can't be bought until the
merchant chooses "Use as entered" (R37, R37b)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orders.models import Order
from shipments.models import Shipment
from tests.factories import make_order, make_ship_from

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def account(sandbox_account):
    return sandbox_account("acme-e2e", balance="100.00", nickname="Main postage")


def order_to(merchant, number: str, **address) -> Order:
    return make_order(
        merchant,
        number,
        ship_from=make_ship_from(merchant),
        service="US-PM",
        weight_lb=1,
        weight_oz=Decimal("0"),
        **address,
    )


def test_a_misspelled_street_is_corrected_before_the_rates_show_and_the_label_uses_it(
    signed_in, merchant, account, sandbox
):
    page = signed_in
    order = order_to(
        merchant, "E2E-A1", street1="2400 N Clrak St", city="Chicgo", state="IL",
        postal_code="60614",
    )  # fmt: skip
    page.goto(f"/orders/{order.pk}/")
    check = page.get_by_test_id("address-check")
    expect(check).to_have_attribute("data-status", "corrected")
    expect(page.locator("#rates-table")).to_be_visible()
    changes = page.get_by_test_id("address-changes")
    expect(changes).to_contain_text("2400 N Clrak St")
    expect(changes).to_contain_text("2400 N CLARK ST")
    expect(changes).to_contain_text("CHICAGO")
    page.get_by_role("button", name="Buy label").click()
    expect(page.get_by_text("Label created for order E2E-A1")).to_be_visible()
    (indicium,) = sandbox.indicia("acme-e2e")
    assert indicium.rate["To"]["Address1"] == "2400 N CLARK ST"


def test_an_unverified_address_is_bought_only_after_use_as_entered(
    signed_in, merchant, account, sandbox
):
    page = signed_in
    order = order_to(
        merchant, "E2E-A2", street1="77 Nowhere Rd", city="Chicago", state="IL",
        postal_code="60614",
    )  # fmt: skip
    page.goto(f"/orders/{order.pk}/")
    check = page.get_by_test_id("address-check")
    expect(check).to_have_attribute("data-status", "unverified")
    expect(check).to_contain_text("could not be verified")
    buy = page.get_by_role("button", name="Buy label")
    expect(buy).to_be_disabled()
    page.get_by_test_id("use-as-entered").click()
    expect(page.get_by_test_id("address-check")).to_have_attribute("data-status", "overridden")
    expect(page.get_by_role("button", name="Buy label")).to_be_enabled()
    assert not Shipment.objects.filter(order=order).exists()
    page.get_by_role("button", name="Buy label").click()
    expect(page.get_by_text("Label created for order E2E-A2")).to_be_visible()
    assert len(sandbox.indicia("acme-e2e")) == 1
