"""The order page says one clear thing at a time: an untouched order lists what is left to do
(not errors), a hazmat label says so where the label is shown, and automation changes read in
the merchant's words."""

from __future__ import annotations

import lxml.html
import pytest
from django.urls import reverse

from orders import rules
from orders.models import AutomationRule
from shipments import labels
from tests.factories import make_order, make_rule

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_untouched_order_shows_what_is_left_to_do_and_no_error(owner_client, merchant):
    order = make_order(merchant, "P-1")
    page = lxml.html.fromstring(owner_client.get(reverse("order-detail", args=[order.pk])).text)
    panel = page.get_element_by_id("shipping-panel")
    assert not panel.xpath('.//*[contains(@class, "alert-error")]')
    assert not panel.xpath('.//*[contains(@class, "field-errors")]')
    to_do = panel.xpath('.//*[@data-testid="to-do"]')[0].text_content()
    assert "Enter the package weight." in to_do and "Choose a ship-from location." in to_do
    assert "Choose a service in the rate list." in to_do


def test_a_wrong_choice_is_still_an_error(owner_client, merchant, ship_from):
    order = make_order(
        merchant, "P-2", ship_from=ship_from, service="US-FC", weight_oz=4, dangerous_goods=True
    )
    page = lxml.html.fromstring(owner_client.get(reverse("order-detail", args=[order.pk])).text)
    errors = page.xpath('//*[@id="shipping-problems"]/li[contains(@class, "alert-error")]')
    refusal = "Dangerous Goods can't ship with First-Class Mail"
    assert any(refusal in e.text_content() for e in errors)


def test_the_still_to_do_steps_still_block_a_purchase(merchant, account):
    order = make_order(merchant, "P-3", service="US-PM")
    with pytest.raises(labels.LabelError, match="Enter the package weight"):
        labels.buy_label(order, account, "US-PM")


def test_a_hazmat_label_says_so_on_its_page_and_on_the_order(
    owner_client, account, ship_from, make_shippable
):
    order = make_shippable(service="US-GA", dangerous_goods=True)
    shipment = labels.buy_label(order, account, "US-GA")
    assert "US-A-HM" in shipment.add_ons
    detail = lxml.html.fromstring(
        owner_client.get(reverse("shipments:detail", args=[shipment.pk])).text
    )
    for testid in ("hazmat", "options"):
        shown = detail.xpath(f'//*[@data-testid="{testid}"]')[0].text_content()
        assert "Dangerous Goods (hazmat)" in shown
    panel = owner_client.get(reverse("shipments:rates", args=[order.pk])).text
    assert 'data-testid="hazmat"' in panel

    plain = labels.buy_label(make_shippable(service="US-GA"), account, "US-GA")
    page = owner_client.get(reverse("shipments:detail", args=[plain.pk])).text
    assert 'data-testid="hazmat"' not in page


def test_rule_previews_and_the_order_page_name_services_and_fields(owner_client, merchant):
    order = make_order(merchant, "P-4")
    data = {
        "name": "Heavy goes ground",
        "match": "all",
        "enabled": "on",
        "service": "US-GA",
        "length_in": "12",
        "dangerous_goods": "on",
    }
    preview = owner_client.post(reverse("automation-preview"), data).text
    row = lxml.html.fromstring(preview).get_element_by_id("rule-preview").text_content()
    assert "Service: — → USPS Ground Advantage" in row
    assert "Length (in): — → 12" in row
    assert "Dangerous Goods (hazmat): off → on" in row
    assert "US-GA" not in row and "length_in" not in row

    make_rule(merchant, "Heavy goes ground", actions={"service": "US-GA", "length_in": "12"})
    rules.reapply_rules(merchant, [order.pk])
    assert AutomationRule.objects.count() == 1
    page = lxml.html.fromstring(owner_client.get(reverse("order-detail", args=[order.pk])).text)
    table = page.get_element_by_id("rule-changes").text_content()
    assert "USPS Ground Advantage" in table and "Length (in)" in table
    assert "US-GA" not in table and "length_in" not in table
