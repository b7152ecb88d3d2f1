"""The order page saves the package form on every change and swaps the panel: what the merchant
types meanwhile in another field must survive the swap, letter for letter."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.factories import make_order, make_ship_from

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGE = "Happy birthday Ana, love from us"


def test_typing_a_label_message_while_the_weight_saves_loses_no_letter(
    signed_in, merchant, sandbox, sandbox_account
):
    sandbox_account("acme-typing", balance="50.00")
    order = make_order(
        merchant, "TYPE-1", ship_from=make_ship_from(merchant), weight_lb=1, weight_oz=Decimal(0)
    )
    page = signed_in
    page.goto(f"/orders/{order.pk}/")
    expect(page.get_by_test_id("rates-panel")).to_be_visible()

    # Changing the weight and moving on saves it (150 ms later) and swaps the panel while the
    # merchant is still typing the next field.
    page.get_by_label("Weight (lb)").fill("4")
    page.get_by_label("Weight (lb)").press("Tab")
    message = page.get_by_label("Label message 1")
    message.focus()
    page.keyboard.type(MESSAGE, delay=40)
    saved = page.expect_response(
        lambda r: (
            r.url.endswith("/package/")
            and r.ok
            and MESSAGE[-4:] in (r.request.post_data or "").replace("%20", " ")
        )
    )
    with saved:
        message.press("Tab")

    expect(page.get_by_label("Label message 1")).to_have_value(MESSAGE)
    expect(page.get_by_label("Weight (lb)")).to_have_value("4")
    order.refresh_from_db()
    assert order.label_messages == [MESSAGE]
    assert order.weight_lb == 4
    assert page.console_errors == []
