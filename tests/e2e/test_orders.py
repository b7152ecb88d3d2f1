"""Import a CSV in a browser through a real django-q2 worker, watch the progress bar finish,
open an order a rule changed (R15: Dangerous Goods on import) and set an Other Shipping
Option through htmx."""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import expect

from orders.models import Order
from tests.factories import make_rule, make_ship_from
from tests.orders.test_import_csv import csv_text, row
from tests.support import qcluster

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_R15_import_through_a_worker_then_set_an_option_on_an_order_a_rule_changed(
    page, live_server, merchant, owner, settings
):
    settings.ORDERS_IMPORT_INLINE_MAX_ROWS = 0  # every upload goes to the worker
    make_ship_from(merchant)
    make_rule(
        merchant,
        "Batteries are hazmat",
        conditions=[{"field": "sku", "op": "contains", "value": "BATT"}],
        actions={"service": "US-GA", "dangerous_goods": True},
    )
    rows = [row(f"E-{i:03}", sku="MUG") for i in range(120)]
    rows.append(row("E-BATT", sku="BATT-18650", item="Lithium battery"))
    client = Client()
    client.force_login(owner)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )

    with qcluster(clusters=("long",)):
        page.goto("/orders/import/")
        page.get_by_label("CSV file").set_input_files(
            files=[
                {"name": "orders.csv", "mimeType": "text/csv", "buffer": csv_text(*rows).encode()}
            ]
        )
        page.get_by_role("button", name="Import", exact=True).click()
        bar = page.locator("#import-bar")
        expect(bar).to_be_visible()
        expect(page.locator(".import-done")).to_contain_text("121 new orders", timeout=60_000)
        expect(bar).to_have_attribute("value", "100")

    page.goto("/orders/?q=E-BATT")
    page.get_by_role("link", name="E-BATT").click()
    changes = page.locator("#rule-changes")
    expect(changes).to_contain_text("Batteries are hazmat")
    # The change reads in the merchant's words, not as the field's code.
    expect(changes).to_contain_text("Dangerous Goods (hazmat)")
    expect(changes).not_to_contain_text("dangerous_goods")
    panel = page.locator("#shipping-panel")
    expect(panel.get_by_label("Dangerous Goods (hazmat)")).to_be_checked()
    panel.get_by_label("Non machinable").check()
    expect(page.locator("#shipping-panel")).to_contain_text("Saved.")
    order = Order.objects.get(merchant=merchant, number="E-BATT")
    assert order.non_machinable and order.dangerous_goods and order.service == "US-GA"
    assert page.console_errors == []
