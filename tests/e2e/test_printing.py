"""In a browser (R39): buy a label and print the carrier's PDF, switch the store to ZPL and
reprint the same label as ZPL, then print 20 waiting labels at once from the print queue.

The Print buttons post their form to a new tab (printing marks labels printed); the tests
send exactly what a click sends, read from the page, and read the file it answers."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from shipments import labels
from shipments.models import Shipment
from tests.e2e.forms import press
from tests.factories import make_order, make_ship_from
from tests.labels_read import tracking_numbers

pytestmark = pytest.mark.django_db(transaction=True)


def test_buy_print_pdf_switch_to_zpl_reprint_and_print_twenty_from_the_queue(
    signed_in, sandbox, merchant, sandbox_account
):
    page = signed_in
    account = sandbox_account("acme-print", balance="500.00", nickname="Main postage")
    ship_from = make_ship_from(merchant)

    def order(number: str):
        return make_order(
            merchant, number, ship_from=ship_from, service="US-GA", weight_lb=1,
            weight_oz=Decimal("0"),
        )  # fmt: skip

    first = order("P-000")
    page.goto(f"/orders/{first.pk}/")
    page.locator('#rates-table tr[data-service="US-GA"] input[name="service"]').check()
    page.get_by_role("button", name="Buy label").click()
    expect(page).to_have_url(re.compile(r"/shipments/\d+/$"))
    shipment = Shipment.objects.get(order=first)

    pdf = press(page, page.get_by_test_id("open-label"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert tracking_numbers(pdf.body()) == [shipment.tracking_number]

    page.goto("/shipments/settings/")
    page.get_by_label("Label format", exact=True).select_option("zpl")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Shipping settings saved.")).to_be_visible()

    page.goto(f"/shipments/{shipment.pk}/")
    zpl = press(page, page.get_by_test_id("open-label"))
    assert zpl.ok and zpl.headers["content-type"] == "application/zpl"
    assert f">8{shipment.tracking_number}^FS" in zpl.text()
    assert len(sandbox.indicia("acme-print")) == 1  # reprinted, never bought again

    twenty = [labels.buy_label(order(f"P-{i:03d}"), account, "US-GA") for i in range(1, 21)]
    page.goto("/shipments/print-queue/")
    expect(page.get_by_test_id("waiting-row")).to_have_count(20)
    batch = press(page, page.get_by_test_id("print-waiting"))
    assert batch.ok and batch.headers["content-type"] == "application/zpl"
    stream = batch.text()
    assert stream.count("^XA") == 20
    positions = [stream.index(f">8{s.tracking_number}^FS") for s in twenty]
    assert positions == sorted(positions)  # in order-number order, the store's sort
    page.reload()
    expect(page.get_by_test_id("waiting-row")).to_have_count(0)
    expect(page.get_by_test_id("printed-row")).to_have_count(21)
    assert page.console_errors == []
