"""Demo data for ``manage.py seed_demo``: automation rules, and orders they change."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from merchants.models import Merchant
from orders import rules
from orders.models import AutomationRule, Order, OrderItem

DEMO_RULES: list[dict[str, Any]] = [
    {
        "name": "Domestic orders ship Ground Advantage",
        "conditions": [{"field": "destination", "op": "is", "value": "domestic"}],
        "actions": {"service": "US-GA", "package_type": "Package", "confirmation": "tracking"},
    },
    {
        "name": "Heavy orders go Priority Mail",
        "conditions": [{"field": "weight", "op": "gt", "value": "32"}],
        "actions": {"service": "US-PM"},
    },
    {
        "name": "International: First-Class Mail International",
        "conditions": [{"field": "destination", "op": "is", "value": "international"}],
        "actions": {"service": "US-FCI", "confirmation": "tracking"},
    },
    {
        "name": "Gifts are insured",
        "conditions": [{"field": "tag", "op": "is", "value": "gift"}],
        "actions": {"insurance_amount": "50.00"},
    },
    {
        "name": "Lithium batteries ship as Dangerous Goods",
        "match": "any",
        "conditions": [
            {"field": "sku", "op": "contains", "value": "BATT"},
            {"field": "item_name", "op": "contains", "value": "lithium"},
        ],
        "actions": {"service": "US-GA", "dangerous_goods": True, "add_tag": "hazmat"},
        "stop_processing": True,
    },
]

# Demo orders that get a lithium battery item, so the Dangerous Goods rule has work to do.
BATTERY_ORDERS = ("EG-1004", "EG-1009")  # both domestic: hazmat goes by ground


def seed_demo_rules(merchant: Merchant, user, stdout) -> None:
    """Idempotent: rules by name; new demo orders get the rules once (R36)."""
    for position, spec in enumerate(DEMO_RULES, start=1):
        AutomationRule.objects.update_or_create(
            merchant=merchant,
            name=spec["name"],
            defaults={
                "position": position,
                "match": spec.get("match", "all"),
                "conditions": spec["conditions"],
                "actions": spec["actions"],
                "stop_processing": spec.get("stop_processing", False),
            },
        )
    for order in Order.objects.for_merchant(merchant).filter(number__in=BATTERY_ORDERS):
        OrderItem.objects.get_or_create(
            order=order,
            sku="BATT-18650",
            defaults={
                "name": "Lithium-ion battery 18650",
                "quantity": 2,
                "unit_price": Decimal("9.00"),
                "weight_oz": Decimal("2.0"),
            },
        )
    fresh = Order.objects.for_merchant(merchant).filter(
        rules_applied_at__isnull=True,
        status__in=[Order.Status.AWAITING_SHIPMENT, Order.Status.ON_HOLD],
    )
    rules.reapply_rules(merchant, list(fresh.values_list("pk", flat=True)))
    stdout.write(f"{len(DEMO_RULES)} automation rules (one sets Dangerous Goods).")
