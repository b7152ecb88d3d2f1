"""The automation rule editor in a browser: condition rows added and taken out through htmx,
what was typed kept, the cursor on the new row, and the rule saved with every condition."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from orders.models import AutomationRule

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rule_gets_as_many_conditions_as_the_merchant_adds(signed_in, merchant):
    page = signed_in
    page.goto("/automation/new/")
    page.get_by_label("Name").fill("Heavy gifts abroad")
    rows = page.locator(".condition-row")
    expect(rows).to_have_count(1)

    values = [("Ship-to country", "CA"), ("Tag", "gift"), ("Any item's SKU", "MUG")]
    for n, (field, value) in enumerate(values):
        if n:
            page.get_by_role("button", name="Add a condition").click()
            expect(rows).to_have_count(n + 1)
            # The cursor waits in the row just added.
            expect(rows.nth(n).get_by_label("When")).to_be_focused()
        row = rows.nth(n)
        row.get_by_label("When").select_option(label=field)
        row.get_by_label("Value").fill(value)

    # The second one was a mistake: taking it out keeps the others as typed.
    page.get_by_role("button", name="Remove condition 2").click()
    expect(rows).to_have_count(2)
    expect(rows.nth(1).get_by_label("Value")).to_have_value("MUG")
    expect(page.get_by_label("Name")).to_have_value("Heavy gifts abroad")

    page.get_by_label("Add tag").fill("abroad")
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator(".messages")).to_contain_text("Heavy gifts abroad")
    rule = AutomationRule.objects.get()
    assert [(c["field"], c["value"]) for c in rule.conditions] == [
        ("country", "CA"),
        ("sku", "MUG"),
    ]
    assert page.console_errors == []
