"""Bulk changes from the order list: set the service, package, weight and Other Shipping
Options of many open orders at once.

Each order is changed in memory and checked with the same rules as its own page (R15-R17,
R22: Dangerous Goods with a service that carries it, no signature abroad...); the orders that
pass are saved together, the others are left exactly as they were and named with the reason.
The work is a fixed number of queries whatever the number of orders (one read, batched
writes), so "every order matching this filter" costs what a page does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import ngettext

from orders import validation
from orders.catalog import MAX_FORM_WEIGHT_LB, Confirmation, PackageType, Service
from orders.models import Order

FLAGS = ("dangerous_goods", "non_machinable", "hold_for_pickup", "saturday_delivery")
OPEN = (Order.Status.AWAITING_SHIPMENT, Order.Status.ON_HOLD)
MAX_ORDERS = 5000
LEAVE = [("", "Leave as is")]
SHOWN_SKIPS = 5


class BulkEditForm(forms.Form):
    """What to change on the selected orders; every field left blank is left as it is."""

    service = forms.ChoiceField(choices=LEAVE + list(Service.choices), required=False)
    package_type = forms.ChoiceField(
        label="Package", choices=LEAVE + list(PackageType.choices), required=False
    )
    weight_lb = forms.IntegerField(
        label="Weight (lb)", min_value=0, max_value=MAX_FORM_WEIGHT_LB, required=False
    )
    weight_oz = forms.DecimalField(
        label="Weight (oz)", min_value=0, max_value=Decimal("15.9"), decimal_places=1,
        required=False,
    )  # fmt: skip
    confirmation = forms.ChoiceField(choices=LEAVE + list(Confirmation.choices), required=False)
    dangerous_goods = forms.ChoiceField(
        label="Dangerous Goods (hazmat)", choices=LEAVE + [("on", "On"), ("off", "Off")],
        required=False,
    )  # fmt: skip
    non_machinable = forms.ChoiceField(
        choices=LEAVE + [("on", "On"), ("off", "Off")], required=False
    )
    hold_for_pickup = forms.ChoiceField(
        choices=LEAVE + [("on", "On"), ("off", "Off")], required=False
    )
    saturday_delivery = forms.ChoiceField(
        choices=LEAVE + [("on", "On"), ("off", "Off")], required=False
    )

    def clean(self):
        cleaned = super().clean()
        if not self.changes():
            raise forms.ValidationError(
                "Choose what to change: a service, package, weight or option."
            )
        return cleaned

    def changes(self) -> dict[str, Any]:
        data = getattr(self, "cleaned_data", {})
        found: dict[str, Any] = {}
        for name in ("service", "package_type", "confirmation"):
            if data.get(name):
                found[name] = data[name]
        # A weight in pounds alone means exactly that many pounds, and ounces alone keep the
        # pounds: both are what a merchant weighing a box would expect.
        if data.get("weight_lb") is not None:
            found["weight_lb"] = data["weight_lb"]
            found["weight_oz"] = data.get("weight_oz") or Decimal("0")
        elif data.get("weight_oz") is not None:
            found["weight_oz"] = data["weight_oz"]
        for name in FLAGS:
            if data.get(name):
                found[name] = data[name] == "on"
        return found


@dataclasses.dataclass
class BulkResult:
    changed: int = 0
    unchanged: int = 0
    closed: int = 0  # shipped or cancelled: never touched
    refused: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    def summary(self) -> str:
        parts = [
            ngettext("%(n)d order changed", "%(n)d orders changed", self.changed)
            % {"n": self.changed}
        ]
        if self.unchanged:
            parts.append(
                ngettext("%(n)d already so", "%(n)d already so", self.unchanged)
                % {"n": self.unchanged}
            )
        if self.closed:
            parts.append(
                ngettext(
                    "%(n)d shipped or cancelled left alone",
                    "%(n)d shipped or cancelled left alone",
                    self.closed,
                )
                % {"n": self.closed}
            )
        text = "; ".join(parts) + "."
        if self.refused:
            first = self.refused[:SHOWN_SKIPS]
            shown = "; ".join(f"{number}: {reason}" for number, reason in first)
            more = len(self.refused) - SHOWN_SKIPS
            text += " " + ngettext(
                "%(n)d order was not changed", "%(n)d orders were not changed", len(self.refused)
            ) % {"n": len(self.refused)}
            text += f" ({shown}{f'; and {more} more' if more > 0 else ''})."
        return text


def bulk_set(orders: QuerySet[Order], changes: dict[str, Any]) -> BulkResult:
    """Apply ``changes`` to the open orders among ``orders`` (already the merchant's)."""
    result = BulkResult()
    ok: list[Order] = []
    fields = list(changes)
    # One read of what the checks need; items and locations are not needed for them.
    rows: Iterable[Order] = orders.only(
        "pk", "number", "status", "country", "state", "merchant_id", *_CHECKED
    )[:MAX_ORDERS]
    for order in rows:
        if order.status not in OPEN:
            result.closed += 1
            continue
        if all(getattr(order, name) == value for name, value in changes.items()):
            result.unchanged += 1
            continue
        for name, value in changes.items():
            setattr(order, name, value)
        problem = _problem(order, changes)
        if problem:
            result.refused.append((order.number, problem))
            continue
        order.updated_at = timezone.now()
        ok.append(order)
    with transaction.atomic():
        Order.objects.bulk_update(ok, [*fields, "updated_at"], batch_size=1000)
    result.changed = len(ok)
    return result


def _problem(order: Order, changes: dict[str, Any]) -> str:
    problems = validation.option_problems(order)
    if problems:
        return problems[0].message
    available = validation.available_options(order)
    for name in FLAGS:
        if changes.get(name) and not available[name]:
            label = str(BulkEditForm.base_fields[name].label or name.replace("_", " ").title())
            service = Service(order.service).label if order.service else "no service"
            return f"{label} isn't offered with {service} to this address."
    return ""


# The fields option_problems reads (R15-R17, R22), besides the ones being set.
_CHECKED = (
    "service",
    "package_type",
    "weight_lb",
    "weight_oz",
    "confirmation",
    "dangerous_goods",
    "label_message_1",
    "label_message_2",
    "label_message_3",
    "prepay_duties_canada",
    *FLAGS,
)
