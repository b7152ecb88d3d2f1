from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from orders.models import AutomationRule, Order


def test_seed_demo_adds_rules_including_one_that_sets_dangerous_goods_R15(db):
    call_command("seed_demo", "--orders", "20", stdout=StringIO())
    call_command("seed_demo", "--orders", "20", stdout=StringIO())  # idempotent
    rules = AutomationRule.objects.filter(merchant__slug="demo")
    assert rules.count() == 5
    assert any(r.actions.get("dangerous_goods") for r in rules)
    battery = Order.objects.get(merchant__slug="demo", number="EG-1004")
    assert battery.dangerous_goods and battery.service == "US-GA"
    assert battery.rule_changes.filter(field="dangerous_goods").exists()
    assert Order.objects.filter(merchant__slug="demo", number="EG-1004").count() == 1
    domestic = Order.objects.filter(merchant__slug="demo", country="US", status="awaiting_shipment")
    assert domestic.exclude(service="").exists()
