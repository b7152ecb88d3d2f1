"""Automation rules (R36): conditions over an order and its items, actions that set its package.

``run_rules`` is pure: it changes an order in memory and returns what changed, so the import
can run rules on unsaved orders and save everything in bulk, and the preview can run them
without saving. ``apply_rules`` and ``reapply_rules`` are the saving entry points.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from locations.models import ShipFromLocation
from merchants.models import Merchant
from orders.models import (
    AutomationRule,
    Order,
    OrderItem,
    OrderRuleChange,
    change_field_label,
    change_value_label,
)

TEXT, NUMBER, CHOICE, MULTI = "text", "number", "choice", "multi"

# field -> (label, kind)
CONDITION_FIELDS: dict[str, tuple[str, str]] = {
    "country": ("Ship-to country", TEXT),
    "state": ("Ship-to state", TEXT),
    "postal_prefix": ("Ship-to postal code", TEXT),
    "destination": ("Destination", CHOICE),
    "total": ("Order total ($)", NUMBER),
    "weight": ("Weight (oz)", NUMBER),
    "item_count": ("Item count", NUMBER),
    "sku": ("Any item's SKU", MULTI),
    "item_name": ("Any item's name", MULTI),
    "tag": ("Tag", MULTI),
    "requested_service": ("Requested service", TEXT),
    "store": ("Store", TEXT),
}
DESTINATIONS = ("domestic", "international", "military")

OPERATORS: dict[str, str] = {
    "is": "is (comma-separated for several)",
    "is_not": "is not",
    "contains": "contains",
    "starts_with": "starts with",
    "lt": "<",
    "lte": "≤",
    "gt": ">",
    "gte": "≥",
}
NUMBER_OPS = {"is", "is_not", "lt", "lte", "gt", "gte"}
TEXT_OPS = {"is", "is_not", "contains", "starts_with"}

BOOL_ACTIONS = ("dangerous_goods", "non_machinable", "hold_for_pickup", "saturday_delivery")
DECIMAL_ACTIONS = ("weight_oz", "length_in", "width_in", "height_in", "insurance_amount")
# action key -> label, in the order they are shown and applied
ACTIONS: dict[str, str] = {
    "service": "Set service",
    "package_type": "Set package type",
    "weight_lb": "Set weight (lb)",
    "weight_oz": "Set weight (oz)",
    "length_in": "Set length (in)",
    "width_in": "Set width (in)",
    "height_in": "Set height (in)",
    "ship_from": "Set ship-from location",
    "confirmation": "Set confirmation",
    "insurance_amount": "Set insured value ($)",
    "dangerous_goods": "Dangerous Goods (hazmat)",
    "non_machinable": "Non-machinable",
    "hold_for_pickup": "Hold for Pickup",
    "saturday_delivery": "Saturday delivery",
    "label_message_1": "Set label message 1",
    "label_message_2": "Set label message 2",
    "label_message_3": "Set label message 3",
    "add_tag": "Add tag",
    "hold_until": "Hold until",
}
# Printed on the label as Reference1-3 (R17: not on international labels).
TEXT_ACTIONS = ("label_message_1", "label_message_2", "label_message_3")


@dataclass(frozen=True)
class Change:
    rule: AutomationRule
    field: str
    old: str
    new: str

    @property
    def field_label(self) -> str:
        return change_field_label(self.field)

    @property
    def old_label(self) -> str:
        return change_value_label(self.field, self.old)

    @property
    def new_label(self) -> str:
        return change_value_label(self.field, self.new)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def rule_number(value) -> Decimal | None:
    """A number written in a rule (a condition's value, an action's amount), or None.

    "NaN" and "Infinity" are Decimals but no amount, and comparing NaN raises: a rule saved
    with "Order total is nan" once failed every order's import."""
    try:
        number = Decimal(str(value).strip().lstrip("$").replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def order_weight_oz(order: Order, items: Sequence[OrderItem]) -> Decimal:
    """The package weight when set, else the items' weight."""
    package = order.package_weight_oz
    if package:
        return package
    return sum((i.weight_oz * i.quantity for i in items), Decimal(0))


def _values(field: str | None, order: Order, items: Sequence[OrderItem]) -> list[str] | Decimal:
    match field:
        case "country":
            return [order.country]
        case "state":
            return [order.state]
        case "postal_prefix":
            return [order.postal_code]
        case "destination":
            if order.is_military:
                return ["military"]
            return ["international" if order.is_international else "domestic"]
        case "total":
            return order.total
        case "weight":
            return order_weight_oz(order, items)
        case "item_count":
            return Decimal(sum(i.quantity for i in items))
        case "sku":
            return [i.sku for i in items]
        case "item_name":
            return [i.name for i in items]
        case "tag":
            return order.tag_list
        case "requested_service":
            return [order.requested_service]
        case "store":
            return [order.store]
    raise ValueError(f"unknown condition field {field!r}")


_NUMBER_COMPARISONS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "is": operator.eq,
    "is_not": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}


def condition_matches(cond: dict, order: Order, items: Sequence[OrderItem]) -> bool:
    field, op, raw = cond.get("field"), cond.get("op", "is"), str(cond.get("value", ""))
    values = _values(field, order, items)
    if isinstance(values, Decimal):
        number = rule_number(raw)
        compare = _NUMBER_COMPARISONS.get(op)
        if number is None or compare is None:
            return False
        return compare(values, number)
    folded = [v.strip().lower() for v in values]
    wanted = [w.strip().lower() for w in raw.split(",") if w.strip()] or [""]
    if field == "postal_prefix" and op == "is":
        op = "starts_with"
    if op == "is":
        return any(v in wanted for v in folded)
    if op == "is_not":
        return not any(v in wanted for v in folded)
    if op == "contains":
        return any(w in v for v in folded for w in wanted if w)
    if op == "starts_with":
        return any(v.startswith(w) for v in folded for w in wanted if w)
    return False


def rule_matches(rule: AutomationRule, order: Order, items: Sequence[OrderItem]) -> bool:
    conditions = rule.conditions or []
    if not conditions:
        return True
    results = (condition_matches(c, order, items) for c in conditions)
    return any(results) if rule.match == AutomationRule.Match.ANY else all(results)


def _apply_action(
    order: Order, key: str, value, ship_froms: dict[int, ShipFromLocation]
) -> tuple[str, str, str] | None:
    """Set one action on ``order``; returns (field, old, new) when something changed."""
    if key == "add_tag":
        tag = str(value).strip()
        if not tag or tag.lower() in (t.lower() for t in order.tag_list):
            return None
        old = order.tags
        order.tags = ", ".join([*order.tag_list, tag])
        return "tags", old, order.tags
    if key == "hold_until":
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        old = f"{order.get_status_display()} {_text(order.hold_until)}".strip()
        order.status, order.hold_until = Order.Status.ON_HOLD, day
        new = f"{order.get_status_display()} {day}"
        return ("hold_until", old, new) if old != new else None
    if key == "ship_from":
        location = ship_froms.get(int(value))
        if location is None:
            return None
        old = order.ship_from.name if order.ship_from_id and order.ship_from else ""
        if order.ship_from_id == location.pk:
            return None
        order.ship_from = location
        return "ship_from", old, location.name
    new_value: bool | Decimal | int | str
    if key in BOOL_ACTIONS:
        new_value = bool(value)
    elif key in DECIMAL_ACTIONS:
        amount = rule_number(value)
        if amount is None:
            return None
        new_value = amount
    elif key == "weight_lb":
        new_value = int(value)
    elif key in ("service", "package_type", "confirmation", *TEXT_ACTIONS):
        new_value = str(value)
    else:
        return None
    old_value = getattr(order, key)
    if old_value == new_value:
        return None
    setattr(order, key, new_value)
    return key, _text(old_value), _text(new_value)


def run_rules(
    order: Order,
    items: Sequence[OrderItem],
    rules: Iterable[AutomationRule],
    ship_froms: dict[int, ShipFromLocation] | None = None,
) -> list[Change]:
    """Run ``rules`` top to bottom on ``order`` in memory (R36): later actions override
    earlier ones, and a matching rule with "stop processing" ends the run."""
    changes: list[Change] = []
    ship_froms = ship_froms or {}
    for rule in rules:
        if not rule.enabled or not rule_matches(rule, order, items):
            continue
        for key in ACTIONS:
            if key in (rule.actions or {}):
                changed = _apply_action(order, key, rule.actions[key], ship_froms)
                if changed:
                    changes.append(Change(rule, *changed))
        if rule.stop_processing:
            break
    return changes


def rules_for(merchant: Merchant) -> list[AutomationRule]:
    return list(AutomationRule.objects.for_merchant(merchant).filter(enabled=True))


def ship_froms_for(merchant: Merchant) -> dict[int, ShipFromLocation]:
    return {s.pk: s for s in ShipFromLocation.objects.for_merchant(merchant)}


def change_rows(order: Order, changes: Iterable[Change]) -> list[OrderRuleChange]:
    return [
        OrderRuleChange(
            order=order,
            rule=c.rule,
            rule_name=c.rule.name[:100],
            field=c.field,
            old_value=c.old[:200],
            new_value=c.new[:200],
        )
        for c in changes
    ]


UPDATABLE_FIELDS = [
    "service",
    "package_type",
    "weight_lb",
    "weight_oz",
    "length_in",
    "width_in",
    "height_in",
    "ship_from",
    "confirmation",
    "insurance_amount",
    *BOOL_ACTIONS,
    *TEXT_ACTIONS,
    "tags",
    "status",
    "hold_until",
    "rules_applied_at",
    "updated_at",
]


def reapply_rules(merchant: Merchant, order_ids: Iterable[int]) -> int:
    """Run the merchant's rules again on the chosen open orders (R36: on request only).

    Shipped and cancelled orders are left alone. Returns how many orders were changed.
    """
    rules, ship_froms = rules_for(merchant), ship_froms_for(merchant)
    orders = list(
        Order.objects.for_merchant(merchant)
        .filter(
            pk__in=list(order_ids),
            status__in=[Order.Status.AWAITING_SHIPMENT, Order.Status.ON_HOLD],
        )
        .prefetch_related("items")
    )
    now = timezone.now()
    changed_orders, logs = [], []
    for order in orders:
        changes = run_rules(order, list(order.items.all()), rules, ship_froms)
        order.rules_applied_at = order.updated_at = now
        changed_orders.append(order)
        logs += change_rows(order, changes)
    with transaction.atomic():
        Order.objects.bulk_update(changed_orders, UPDATABLE_FIELDS, batch_size=500)
        OrderRuleChange.objects.filter(order__in=changed_orders).delete()
        OrderRuleChange.objects.bulk_create(logs, batch_size=500)
    return len({log.order_id for log in logs})


@dataclass(frozen=True)
class PreviewRow:
    order: Order
    changes: list[Change]


def preview_rule(
    merchant: Merchant, rule: AutomationRule, limit: int = 2000
) -> tuple[int, int, list[PreviewRow]]:
    """Try an unsaved rule on the newest open orders without saving anything.

    Returns (orders checked, orders matched, the first 20 matches with their changes).
    """
    orders = (
        Order.objects.for_merchant(merchant)
        .filter(status__in=[Order.Status.AWAITING_SHIPMENT, Order.Status.ON_HOLD])
        .order_by("-order_date", "-pk")
        .select_related("ship_from")
        .prefetch_related("items")[:limit]
    )
    ship_froms = ship_froms_for(merchant)
    checked, matched = 0, 0
    shown: list[PreviewRow] = []
    probe = AutomationRule(
        name=rule.name or "This rule",
        match=rule.match,
        conditions=rule.conditions,
        actions=rule.actions,
        enabled=True,
    )
    for order in orders:
        checked += 1
        items = list(order.items.all())
        if not rule_matches(probe, order, items):
            continue
        matched += 1
        if len(shown) < 20:
            shown.append(PreviewRow(order, run_rules(order, items, [probe], ship_froms)))
    return checked, matched, shown
