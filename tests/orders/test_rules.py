"""Automation rules: R36 semantics, R15 (Dangerous Goods set on import), pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from orders import importing, rules
from orders.models import AutomationRule, Order, OrderRuleChange
from tests.factories import make_order, make_rule, make_ship_from
from tests.orders.test_import_csv import csv_text, row


def test_R15_a_rule_sets_dangerous_goods_when_an_order_imports(merchant):
    make_rule(
        merchant,
        "Batteries are hazmat",
        conditions=[{"field": "sku", "op": "contains", "value": "batt"}],
        actions={"service": "US-GA", "dangerous_goods": True},
    )
    importing.import_csv(merchant, csv_text(row("1", sku="MUG"), row("1", sku="BATT-9V"), row("2")))
    hazmat = Order.objects.get(number="1")
    assert hazmat.dangerous_goods and hazmat.service == "US-GA"
    assert not Order.objects.get(number="2").dangerous_goods
    # R15/R36: the order shows which rule changed what.
    changes = set(hazmat.rule_changes.values_list("rule_name", "field", "new_value"))
    assert ("Batteries are hazmat", "dangerous_goods", "yes") in changes


def test_R36_rules_run_top_to_bottom_and_a_later_action_overrides_an_earlier_one(merchant):
    make_rule(merchant, "First", actions={"service": "US-PM", "add_tag": "a"})
    make_rule(merchant, "Second", actions={"service": "US-XM"})
    importing.import_csv(merchant, csv_text(row("1")))
    order = Order.objects.get(number="1")
    assert order.service == "US-XM" and order.tags == "a"
    assert list(order.rule_changes.values_list("rule_name", "new_value")) == [
        ("First", "US-PM"),
        ("First", "a"),
        ("Second", "US-XM"),
    ]


def test_R36_stop_processing_ends_the_run_for_that_order(merchant):
    make_rule(
        merchant,
        "Canada stops",
        conditions=[{"field": "country", "op": "is", "value": "CA"}],
        actions={"service": "US-FCI"},
        stop_processing=True,
    )
    make_rule(merchant, "Everyone", actions={"add_tag": "checked"})
    importing.import_csv(
        merchant, csv_text(row("1", country="CA", postal="M5V 2T6", state="ON"), row("2"))
    )
    assert Order.objects.get(number="1").tags == ""
    assert Order.objects.get(number="2").tags == "checked"


def test_R36_rules_never_run_for_orders_imported_as_shipped_or_cancelled(merchant):
    make_rule(merchant, "Tag all", actions={"add_tag": "ruled"})
    header = "Order Number,Recipient Name,Address 1,City,Postal Code,Status"
    data = csv_text(
        "1,Jane Doe,1 Main St,Austin,78701,Shipped",
        "2,Jane Doe,1 Main St,Austin,78701,cancelled",
        "3,Jane Doe,1 Main St,Austin,78701,On Hold",
        header=header,
    )
    importing.import_csv(merchant, data)
    tags = dict(Order.objects.values_list("number", "tags"))
    assert tags == {"1": "", "2": "", "3": "ruled"}
    assert Order.objects.get(number="3").status == Order.Status.ON_HOLD


def test_R36_rules_do_not_run_again_when_an_order_is_reimported_or_edited(merchant, owner_client):
    importing.import_csv(merchant, csv_text(row("1")))
    make_rule(merchant, "Late rule", actions={"add_tag": "late"})
    importing.import_csv(merchant, csv_text(row("1", city="Reno")))
    order = Order.objects.get(number="1")
    assert order.tags == "" and order.city == "Reno"
    make_ship_from(merchant)
    owner_client.post(
        reverse("order-package", kwargs={"pk": order.pk}),
        {"service": "US-PM", "package_type": "Package", "weight_lb": 1, "weight_oz": 0,
         "confirmation": "tracking", "insurance_amount": 0, "customs_contents_type": "merchandise",
         "non_delivery": "return"},
    )  # fmt: skip
    order.refresh_from_db()
    assert order.service == "US-PM" and order.tags == ""


def test_R36_reapply_runs_rules_on_the_selected_open_orders_only(merchant, owner_client):
    open_order = make_order(merchant, "O-1")
    other = make_order(merchant, "O-2")
    shipped = make_order(merchant, "S-1", status=Order.Status.SHIPPED)
    make_rule(merchant, "Priority", actions={"service": "US-PM"})
    response = owner_client.post(
        reverse("order-reapply-rules"),
        {"order": [open_order.pk, shipped.pk], "next": "/orders/?status=awaiting_shipment"},
    )
    assert response.url == "/orders/?status=awaiting_shipment"
    assert Order.objects.get(pk=open_order.pk).service == "US-PM"
    assert Order.objects.get(pk=other.pk).service == ""
    assert Order.objects.get(pk=shipped.pk).service == ""
    assert OrderRuleChange.objects.filter(order=open_order).count() == 1


@pytest.mark.parametrize(
    ("back", "lands_on"),
    [
        ("/orders/?status=open", "/orders/?status=open"),
        ("0", "/orders/"),
        ("//evil.test/", "/orders/"),
    ],
)
def test_reapply_from_an_order_page_goes_back_only_to_a_page_of_this_site(
    owner_client, merchant, back, lands_on
):
    order = make_order(merchant, "N-1")
    response = owner_client.post(
        reverse("order-reapply-rules"), {"order": [order.pk], "next": back}
    )
    assert response.status_code == 302 and response["Location"] == lands_on


def test_reapply_ignores_another_merchants_orders(owner_client, outsider_merchant):
    theirs = make_order(outsider_merchant, "B-1")
    make_rule(outsider_merchant, "Theirs", actions={"service": "US-PM"})
    owner_client.post(reverse("order-reapply-rules"), {"order": [theirs.pk]})
    assert Order.objects.get(pk=theirs.pk).service == ""


def test_sku_and_item_name_conditions_match_orders_with_several_items(merchant):
    order = make_order(merchant, "M-1", items=3)  # SKU-0, SKU-1, SKU-2
    items = list(order.items.all())
    rule = AutomationRule(
        name="x", conditions=[{"field": "sku", "op": "is", "value": "sku-2"}], actions={}
    )
    assert rules.rule_matches(rule, order, items)
    rule.conditions = [{"field": "item_name", "op": "contains", "value": "item 1"}]
    assert rules.rule_matches(rule, order, items)
    rule.conditions = [{"field": "sku", "op": "is_not", "value": "sku-2"}]
    assert not rules.rule_matches(rule, order, items)


def test_conditions_cover_destination_numbers_and_any_matching(merchant):
    military = make_order(merchant, "APO", state="AE", city="APO", postal_code="09012")
    rich = make_order(merchant, "R", total=Decimal("250.00"))
    cond = [{"field": "destination", "op": "is", "value": "military"}]
    rule = AutomationRule(name="x", conditions=cond, actions={})
    assert rules.rule_matches(rule, military, []) and not rules.rule_matches(rule, rich, [])
    rule.conditions = cond + [{"field": "total", "op": "gte", "value": "200"}]
    assert not rules.rule_matches(rule, rich, [])
    rule.match = AutomationRule.Match.ANY
    assert rules.rule_matches(rule, rich, [])


def test_hold_until_puts_the_order_on_hold(merchant):
    make_rule(merchant, "Hold", actions={"hold_until": "2030-01-02"})
    importing.import_csv(merchant, csv_text(row("1")))
    order = Order.objects.get(number="1")
    assert order.status == Order.Status.ON_HOLD and str(order.hold_until) == "2030-01-02"


def test_the_automation_pages_create_preview_reorder_and_delete_rules(owner_client, merchant):
    make_order(merchant, "CA-1", country="CA", state="ON", postal_code="M5V 2T6")
    make_order(merchant, "US-1")
    data = {
        "name": "Canada first class",
        "match": "all",
        "enabled": "on",
        "c0_field": "country",
        "c0_op": "is",
        "c0_value": "CA",
        "service": "US-FCI",
    }
    preview = owner_client.post(reverse("automation-preview"), data, headers={"HX-Request": "true"})
    assert "matches <strong>1</strong> of the 2" in preview.text and "CA-1" in preview.text
    assert not AutomationRule.objects.exists()
    assert owner_client.post(reverse("automation-new"), data).status_code == 302
    owner_client.post(reverse("automation-new"), data | {"name": "Second", "c0_field": ""})
    first, second = AutomationRule.objects.order_by("position")
    assert first.conditions == [{"field": "country", "op": "is", "value": "CA"}]
    assert first.actions == {"service": "US-FCI"}
    page = owner_client.get(reverse("automation")).text
    assert "Ship-to country is CA" in page
    owner_client.post(reverse("automation-move"), {"rule": second.pk, "direction": "up"})
    assert list(AutomationRule.objects.values_list("name", flat=True)) == [
        "Second",
        "Canada first class",
    ]
    owner_client.post(reverse("automation-delete", kwargs={"pk": first.pk}))
    assert AutomationRule.objects.count() == 1


def test_R15_a_rule_cannot_set_dangerous_goods_with_a_service_that_refuses_it(owner_client):
    response = owner_client.post(
        reverse("automation-new"),
        {"name": "Bad", "match": "all", "service": "US-FC", "dangerous_goods": "on"},
    )
    assert response.status_code == 200
    assert "can&#x27;t carry Dangerous Goods" in response.text
    assert not AutomationRule.objects.exists()


def test_a_rule_needs_an_action(owner_client):
    response = owner_client.post(reverse("automation-new"), {"name": "Nothing", "match": "all"})
    assert "Choose at least one action" in response.text


def test_R36_reimport_keeps_what_rules_set_and_adds_the_files_tags(merchant):
    make_rule(merchant, "Hazmat", actions={"dangerous_goods": True, "add_tag": "hazmat"})
    importing.import_csv(merchant, csv_text(row("1", tags="gift")))
    importing.import_csv(merchant, csv_text(row("1", tags="rush")))
    order = Order.objects.get(number="1")
    assert order.tags == "gift, hazmat, rush" and order.dangerous_goods


def test_R36_rules_run_when_an_order_is_created_by_hand(owner_client, merchant):
    make_rule(merchant, "Tag manual", actions={"add_tag": "ruled", "service": "US-PM"})
    data = {
        "order_number": "M-1",
        "recipient_name": "Jane Doe",
        "street1": "1 Main St",
        "city": "Austin",
        "state": "TX",
        "postal_code": "78701",
        "country": "United States",
        "sku": "MUG",
        "item_name": "Mug",
        "quantity": 2,
        "unit_price": "9.50",
        "item_weight_oz": "12",
    }
    response = owner_client.post(reverse("order-new"), data)
    order = Order.objects.get(merchant=merchant, number="M-1")
    assert response.url == reverse("order-detail", kwargs={"pk": order.pk})
    assert order.tags == "ruled" and order.service == "US-PM"
    assert order.items.get().quantity == 2
    again = owner_client.post(reverse("order-new"), data)
    assert "already exists" in again.text
    bad = owner_client.post(reverse("order-new"), data | {"order_number": "M-2", "country": "Oz"})
    assert "Country &#x27;Oz&#x27; is unknown" in bad.text


# -- The editor's condition rows ----------------------------------------------------------

SIX = [
    {"field": "country", "op": "is", "value": "CA, MX"},
    {"field": "weight", "op": "gt", "value": "16"},
    {"field": "sku", "op": "contains", "value": "MUG"},
    {"field": "tag", "op": "is", "value": "gift"},
    {"field": "store", "op": "contains", "value": "Etsy"},
    {"field": "item_name", "op": "starts_with", "value": "Blue"},
]


def _posted(conditions: list[dict], **fields: str) -> dict[str, str]:
    data = {"name": "Many", "match": "all", "enabled": "on", "add_tag": "checked"} | fields
    for i, c in enumerate(conditions):
        data |= {f"c{i}_field": c["field"], f"c{i}_op": c["op"], f"c{i}_value": c["value"]}
    return data


def _rows(page: str) -> int:
    return page.count('class="form-grid condition-row"')


def test_a_rule_with_more_conditions_than_the_page_used_to_show_keeps_every_one(
    owner_client, merchant
):
    assert {c["op"] for c in SIX} <= set(rules.OPERATORS)
    assert {c["field"] for c in SIX} <= set(rules.CONDITION_FIELDS)
    rule = make_rule(merchant, "Many", conditions=SIX, actions={"add_tag": "checked"})
    url = reverse("automation-edit", kwargs={"pk": rule.pk})
    page = owner_client.get(url).text
    # Each condition in its row, and a blank row to add one more.
    assert _rows(page) == len(SIX) + 1
    assert 'name="c5_value" value="Blue"' in page

    # Saved back as it was shown (the blank row included): nothing is dropped.
    shown = _posted(SIX) | {"c6_field": "", "c6_op": "is", "c6_value": ""}
    assert owner_client.post(url, shown).status_code == 302
    rule.refresh_from_db()
    assert rule.conditions == SIX


def test_adding_a_condition_row_keeps_what_was_typed_and_saves_nothing(owner_client, merchant):
    typed = _posted(SIX[:2], name="Heavy to Canada", weight_oz="4.5")
    partial = owner_client.post(
        reverse("automation-new"), typed | {"add_condition": "1"}, headers={"HX-Request": "true"}
    )
    assert partial.status_code == 200
    # Only the conditions come back, with a third row for the cursor and no error yet.
    assert partial.text.lstrip().startswith('<fieldset id="conditions"')
    assert _rows(partial.text) == 3
    assert 'name="c1_value" value="16"' in partial.text
    assert '<select name="c2_field" autofocus' in partial.text
    assert "field-errors" not in partial.text

    # Without JavaScript the whole editor comes back, the rest of the form as typed too.
    page = owner_client.post(reverse("automation-new"), typed | {"add_condition": "1"}).text
    assert _rows(page) == 3
    assert 'value="Heavy to Canada"' in page and 'value="4.5"' in page
    assert "<form" in page and 'name="c0_value" value="CA, MX"' in page
    assert not AutomationRule.objects.exists()


def test_removing_a_condition_row_takes_out_that_one_only(owner_client, merchant):
    rule = make_rule(merchant, "Many", conditions=SIX[:3], actions={"add_tag": "checked"})
    url = reverse("automation-edit", kwargs={"pk": rule.pk})
    partial = owner_client.post(
        url, _posted(SIX[:3]) | {"remove_condition": "1"}, headers={"HX-Request": "true"}
    ).text
    assert _rows(partial) == 2
    assert 'name="c0_value" value="CA, MX"' in partial
    assert 'name="c1_value" value="MUG"' in partial  # the third moved up
    assert 'value="16"' not in partial  # the removed row's value (the rule's id may hold 16)
    rule.refresh_from_db()
    assert rule.conditions == SIX[:3]  # saved only by "Save rule"


@pytest.mark.parametrize("row", ["²", "１", "-1", "99999999999999999999999", "x"])
def test_removing_a_row_that_is_no_row_number_keeps_every_row(owner_client, merchant, row):
    """A forged row number ('²' passed str.isdigit(), then int() failed: a server error)."""
    rule = make_rule(merchant, "Many", conditions=SIX[:3], actions={"add_tag": "checked"})
    url = reverse("automation-edit", kwargs={"pk": rule.pk})
    response = owner_client.post(url, _posted(SIX[:3]) | {"remove_condition": row})
    assert response.status_code == 200
    assert _rows(response.text) == 3 and 'name="c2_value" value="MUG"' in response.text
    rule.refresh_from_db()
    assert rule.conditions == SIX[:3]


def test_a_rule_stops_at_twenty_conditions(owner_client, merchant):
    twenty = [{"field": "sku", "op": "contains", "value": f"SKU-{i}"} for i in range(20)]
    page = owner_client.post(reverse("automation-new"), _posted(twenty) | {"add_condition": "1"})
    assert _rows(page.text) == 20
    assert "Add a condition" not in page.text
    assert "A rule can have up to 20 conditions" in page.text

    # A post with more than the limit (a rule edited elsewhere, or forged) is refused in
    # words, with every row it had shown back to be fixed.
    too_many = twenty + [{"field": "tag", "op": "is", "value": "late"}]
    refused = owner_client.post(reverse("automation-new"), _posted(too_many))
    assert refused.status_code == 200
    assert "at most 20 conditions: remove 1, or split it into two rules" in refused.text
    assert _rows(refused.text) == 21 and 'value="late"' in refused.text
    assert not AutomationRule.objects.exists()


def test_a_forged_row_number_does_not_build_a_form_of_that_size(owner_client):
    response = owner_client.post(
        reverse("automation-new"),
        _posted([]) | {"c999999_field": "sku", "c999999_op": "is", "c999999_value": "X"},
    )
    assert response.status_code == 200
    assert "A rule can have at most 20 conditions." in response.text
    assert _rows(response.text) == 100  # the rows read, at most
    assert not AutomationRule.objects.exists()


@pytest.mark.parametrize("value", ["nan", "NaN", "sNaN", "Infinity", "-inf"])
def test_a_condition_number_must_be_a_real_amount(owner_client, merchant, value):
    data = _posted([{"field": "total", "op": "gt", "value": value}])
    refused = owner_client.post(reverse("automation-new"), data)
    assert refused.status_code == 200 and "Enter a number." in refused.text
    assert not AutomationRule.objects.exists()


def test_a_rule_saved_with_nan_before_never_stops_orders_coming_in(owner_client, merchant):
    # Saved before the form refused it (or through the admin): every order still imports,
    # the condition simply never matches, whatever the comparison.
    for op in ("is", "lt"):
        make_rule(
            merchant,
            f"Total {op} nan",
            conditions=[{"field": "total", "op": op, "value": "nan"}],
            actions={"add_tag": "never"},
        )
    result = importing.import_csv(merchant, csv_text(row("1"), row("2")))
    assert result.created == 2
    assert not Order.objects.filter(tags__contains="never").exists()
