"""In a browser: open an order, watch the rates appear, change the weight and see them
refresh, buy the cheapest, open the label PDF, then void it and see the refund."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from playwright.sync_api import expect

from shipments.models import Shipment
from tests.e2e.forms import press
from tests.factories import make_order, make_ship_from
from tests.support import credit_refunds

pytestmark = pytest.mark.django_db(transaction=True)


def test_rates_refresh_when_the_weight_changes_then_buy_print_and_void(
    page, live_server, sandbox, merchant, owner, sandbox_account
):
    sandbox_account("acme-e2e", balance="100.00", nickname="Main postage")
    order = make_order(
        merchant,
        "E2E-1",
        ship_from=make_ship_from(merchant),
        service="US-PM",
        weight_lb=1,
        weight_oz=Decimal("0"),
    )
    client = Client()
    client.force_login(owner)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )

    page.goto(f"/orders/{order.pk}/")
    priority = page.locator('#rates-table tr[data-service="US-PM"] [data-testid="total"]')
    expect(priority).to_be_visible()
    before = priority.inner_text()

    page.get_by_label("Weight (lb)").fill("6")
    page.get_by_label("Weight (lb)").press("Tab")
    expect(priority).not_to_have_text(before)

    cheapest = page.locator("#rates-table tbody tr").first
    expect(cheapest).to_contain_text("Cheapest")
    cheapest_total = cheapest.get_by_test_id("total").inner_text()
    # The order's own service (Priority Mail) is preselected; the merchant picks the cheapest.
    expect(page.locator('input[name="service"][value="US-PM"]')).to_be_checked()
    cheapest.locator('input[name="service"]').check()
    page.get_by_role("button", name="Buy label").click()
    expect(page).to_have_url(re.compile(r"/shipments/\d+/$"))
    shipment = Shipment.objects.get(order=order)
    assert f"${shipment.amount}" == cheapest_total
    expect(page.get_by_test_id("tracking")).to_contain_text(shipment.tracking_number)

    pdf = press(page, page.get_by_test_id("open-label"))  # opens in a new tab in a browser
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # Voiding asks first, in a native dialog: Cancel leaves the label alone.
    dialog = page.locator("#confirm-dialog")
    page.get_by_role("button", name=re.compile("Void label")).click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Void the label for order {order.number}?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("shipment-status")).not_to_have_text("Voided")
    assert Shipment.objects.get(pk=shipment.pk).status == Shipment.Status.BOUGHT
    page.get_by_role("button", name=re.compile("Void label")).click()
    dialog.get_by_role("button", name="Confirm").click()
    expect(
        page.get_by_text(re.compile(r"Label voided: a refund of \$[\d.]+ is requested"))
    ).to_be_visible()
    expect(page.get_by_test_id("shipment-status")).to_have_text("Voided")
    # R41: USPS approves the refund later; the page says so until the carrier credits it.
    refund = page.get_by_test_id("cost").get_by_test_id("refund")
    expect(refund).to_contain_text(f"refund of ${shipment.amount} requested")
    assert sandbox.get_balance("acme-e2e") == Decimal("100.00") - shipment.amount
    credit_refunds(sandbox)
    assert sandbox.get_balance("acme-e2e") == Decimal("100.00")
    page.reload()
    expect(refund).to_have_text(f"refunded ${shipment.amount}")
    # The tracking panel of a voided label tells the same refund story.
    parcel = page.get_by_test_id("tracking-parcel")
    expect(parcel.get_by_test_id("refund")).to_have_text(f"refunded ${shipment.amount}")
    assert page.console_errors == []
