"""Orders and other per-store records in the Django admin: one store's records never take
another store's, nor move to another store."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from locations.models import ShipFromLocation
from orders.models import AutomationRule, ImportJob, Order, OrderItem, OrderRuleChange
from orders.rules import reapply_rules
from shipments.models import ShippingSettings
from tests.factories import (
    admin_search,
    admin_url,
    make_import_job,
    make_merchant,
    make_order,
    make_rule,
    make_ship_from,
)
from tests.orders.test_search_plan import (
    admin_search_plans,
    many_orders,  # noqa: F401  (a fixture, used below)
    read_whole,
)
from tests.shipments.factories import make_shipment

pytestmark = pytest.mark.django_db


def test_an_orders_ship_from_is_not_picked_from_every_stores_locations(
    admin_client, superuser, order, outsider_merchant
):
    for i in range(3):
        make_ship_from(make_merchant(f"Other {i}", f"o{i}@other.test"), name=f"Depot {i}")
    html = admin_client.get(admin_url(Order, "change", order.pk)).text
    assert "Depot 0" not in html and '<select name="ship_from"' not in html

    request = RequestFactory().post("/")
    request.user = superuser
    form_class = admin.site._registry[Order].get_form(request, order)
    data = {k: v for k, v in model_to_dict(order).items() if v is not None}
    data |= {"order_date_0": f"{order.order_date:%Y-%m-%d}", "order_date_1": "10:00:00"}
    data["ship_from"] = make_ship_from(outsider_merchant, name="Bramble depot").pk
    form = form_class(data, instance=order)
    assert not form.is_valid()
    assert form.errors["ship_from"] == [
        "This ship-from location belongs to another store: pick one of this order's store."
    ]


def test_a_stores_records_cannot_be_moved_to_another_store(
    admin_client, merchant, outsider_merchant
):
    # The other store would see this store's customer and a label bought on this store's
    # postage; the same holds for every per-store record below.
    label = make_shipment(merchant, "A-2001")
    records = {
        Order: label.order,
        ShipFromLocation: make_ship_from(merchant, name="Dock 2", is_default=False),
        AutomationRule: make_rule(merchant),
        ImportJob: make_import_job(merchant),
        ShippingSettings: ShippingSettings.objects.get_or_create(merchant=merchant)[0],
    }
    for model, record in records.items():
        response = admin_client.get(admin_url(model, "change", record.pk))
        assert response.status_code == 200, model
        assert "merchant" not in response.context["adminform"].form.fields, model
        assert "Acme Outfitters" in response.text, model
    assert "merchant" in admin_client.get(admin_url(Order, "add")).context["adminform"].form.fields


def test_R36_an_admin_cannot_hand_write_a_rule_that_stops_the_stores_imports(
    admin_client, merchant
):
    # The automation page's form checks every condition and action; JSON typed here was
    # taken as is, and a condition on a field rules don't know failed every import.
    rule = make_rule(merchant, conditions=[{"field": "country", "op": "is", "value": "CA"}])
    response = admin_client.post(
        admin_url(AutomationRule, "change", rule.pk),
        {
            "name": "Renamed",
            "position": "1",
            "enabled": "on",
            "match": "all",
            "conditions": '[{"field": "no-such-field", "op": "is", "value": "x"}]',
            "actions": '{"add_tag": "ruled"}',
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.name == "Renamed"  # what an admin may still fix
    assert rule.conditions == [{"field": "country", "op": "is", "value": "CA"}]
    order = make_order(merchant, "A-3001", country="CA")
    reapply_rules(merchant, [order.pk])
    order.refresh_from_db()
    assert "ruled" in order.tag_list


# -- the rule-change history's search, at any size -----------------------------------------


def make_change(order, rule, **fields) -> OrderRuleChange:
    fields = {"rule_name": rule.name, "field": "service", "old_value": "", "new_value": "US-PM"}
    return OrderRuleChange.objects.create(order=order, rule=rule, **fields)


@pytest.mark.parametrize("by", ["id", "order number", "number with #", "rule name"])
def test_the_rule_change_search_finds_a_change(admin_client, merchant, outsider_merchant, by):
    change = make_change(make_order(merchant, "A-5150"), make_rule(merchant, "Canada by Priority"))
    other = make_change(make_order(outsider_merchant, "B-1"), make_rule(outsider_merchant, "Heavy"))
    term = {
        "id": str(change.pk),
        "order number": "A-5150",
        "number with #": "#A-5150",
        "rule name": "canada",
    }[by]
    shown = admin_search(admin_client, OrderRuleChange, term)
    assert change.pk in shown and other.pk not in shown


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's query plans")
@pytest.mark.parametrize("term", ["A-0007", "canada", "12"])
def test_the_rule_change_search_reads_only_through_indexes(admin_client, merchant, term):
    # A LIKE '%term%' on the rule's name, or across the join to the order's number, read
    # every change every rule ever made: several per order imported.
    rule = make_rule(merchant, "Canada by Priority")
    for i in range(30):
        make_change(make_order(merchant, f"A-{i:04}", items=0), rule)
    keep = ("orders_orderrulechange_order_id", "orders_orderrulechange_rule_id")
    for plan in admin_search_plans(admin_client, OrderRuleChange, term, keep):
        assert not read_whole(plan, "orders_orderrulechange"), plan


# -- the order search, at any size -------------------------------------------------------


@pytest.mark.parametrize(
    "term", ["A-4242", "a-42", "Mugs & Co", "buyer@mugs.test", "BLUE-MUG", "blue-mug-2"]
)
def test_the_order_search_finds_an_order_once_with_no_distinct(
    admin_client, merchant, outsider_merchant, term
):
    # Searched across the join to its items, an order with two matching SKUs came back
    # twice, so the list and its count ran SELECT DISTINCT over orders x items.
    order = make_order(
        merchant, "A-4242", items=0, recipient_name="Mugs & Co", email="buyer@mugs.test"
    )
    for sku in ("BLUE-MUG-1", "BLUE-MUG-2"):
        OrderItem.objects.create(order=order, sku=sku, name="Mug", quantity=1)
    make_order(outsider_merchant, "B-1", items=3)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(admin_url(Order, "changelist"), {"q": term})
    assert response.status_code == 200
    assert [obj.pk for obj in response.context["cl"].result_list] == [order.pk]
    assert response.context["cl"].result_count == 1
    assert [q["sql"] for q in queries if "DISTINCT" in q["sql"]] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's query plans")
@pytest.mark.usefixtures("many_orders")
def test_the_order_search_reads_orders_and_items_only_through_indexes(admin_client):
    for plan in admin_search_plans(admin_client, Order, "w-0042", keep=()):
        assert "orders_item_sku_trgm" in plan and "orders_order_number_trgm" in plan, plan
        assert not read_whole(plan, "orders_order"), plan
        assert not read_whole(plan, "orders_orderitem"), plan
