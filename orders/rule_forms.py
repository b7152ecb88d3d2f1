"""The automation rule form: as many condition rows as the rule needs, one field per action."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django import forms

from locations.models import ShipFromLocation
from merchants.ids import parse_id
from merchants.models import Merchant
from orders import rules
from orders.catalog import Confirmation, PackageType, Service, service_info
from orders.models import AutomationRule

# A rule's conditions are rows of the form (c0_field, c0_op, c0_value, c1_field...): as many
# as it has, plus a blank one to add another, up to MAX_CONDITIONS.
MAX_CONDITIONS = 20
# Rows read from a post, at most: a forged post naming row 10**6 must not build a million.
_ROWS_READ = 100
_ROW_KEY = re.compile(r"c(\d+)_(?:field|op|value)$")
TRI_STATE = [("", "— leave as is —"), ("on", "Turn on"), ("off", "Turn off")]


def _blank(choices) -> list:
    return [("", "— leave as is —"), *choices]


class RuleForm(forms.Form):
    name = forms.CharField(max_length=100)
    match = forms.ChoiceField(choices=AutomationRule.Match.choices, initial="all")
    enabled = forms.BooleanField(required=False, initial=True)
    stop_processing = forms.BooleanField(
        required=False, label="Stop processing more rules when this one matches"
    )
    service = forms.ChoiceField(choices=_blank(Service.choices), required=False)
    package_type = forms.ChoiceField(choices=_blank(PackageType.choices), required=False)
    weight_lb = forms.IntegerField(min_value=0, max_value=150, required=False)
    weight_oz = forms.DecimalField(min_value=0, max_value=15.9, decimal_places=1, required=False)
    length_in = forms.DecimalField(min_value=0, max_digits=6, decimal_places=2, required=False)
    width_in = forms.DecimalField(min_value=0, max_digits=6, decimal_places=2, required=False)
    height_in = forms.DecimalField(min_value=0, max_digits=6, decimal_places=2, required=False)
    ship_from = forms.ModelChoiceField(queryset=ShipFromLocation.objects.none(), required=False)
    confirmation = forms.ChoiceField(choices=_blank(Confirmation.choices), required=False)
    insurance_amount = forms.DecimalField(
        min_value=0, max_digits=10, decimal_places=2, required=False, label="Insured value ($)"
    )
    dangerous_goods = forms.ChoiceField(
        choices=TRI_STATE, required=False, label="Dangerous Goods (hazmat)"
    )
    non_machinable = forms.ChoiceField(choices=TRI_STATE, required=False)
    hold_for_pickup = forms.ChoiceField(choices=TRI_STATE, required=False)
    saturday_delivery = forms.ChoiceField(choices=TRI_STATE, required=False)
    label_message_1 = forms.CharField(max_length=60, required=False)
    label_message_2 = forms.CharField(max_length=60, required=False)
    label_message_3 = forms.CharField(max_length=60, required=False)
    add_tag = forms.CharField(max_length=40, required=False)
    hold_until = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Hold until"
    )

    def __init__(
        self,
        *args,
        merchant: Merchant,
        rule: AutomationRule | None = None,
        rows: int | None = None,
        focus_row: int | None = None,
        **kwargs,
    ):
        """``rows``: condition rows shown when unbound (by default the rule's conditions and
        a blank one); ``focus_row``: the row the cursor goes to (the one just added)."""
        if rule is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_from_rule(rule)
        super().__init__(*args, **kwargs)
        # Every row posted (or every condition of the rule) is read and shown, however
        # many the page had: a rule is never saved with fewer conditions than it was sent.
        self.unread_rows = False
        if self.is_bound:
            shown = _posted_rows(self.data)
            self.unread_rows = shown > _ROWS_READ
        elif rows is not None:
            shown = rows
        else:
            filled = _posted_rows(self.initial)
            shown = filled + 1 if filled < MAX_CONDITIONS else filled
        self.rows = max(1, min(shown, _ROWS_READ))
        ship_from = self.fields["ship_from"]
        assert isinstance(ship_from, forms.ModelChoiceField)
        ship_from.queryset = ShipFromLocation.objects.for_merchant(merchant)
        field_choices = [("", "—")] + [(k, v[0]) for k, v in rules.CONDITION_FIELDS.items()]
        op_choices = list(rules.OPERATORS.items())
        for i in range(self.rows):
            self.fields[f"c{i}_field"] = forms.ChoiceField(
                choices=field_choices, required=False, label="When"
            )
            self.fields[f"c{i}_op"] = forms.ChoiceField(
                choices=op_choices, required=False, label="is"
            )
            self.fields[f"c{i}_value"] = forms.CharField(
                max_length=200, required=False, label="Value"
            )
        if focus_row is not None and focus_row < self.rows:
            self.fields[f"c{focus_row}_field"].widget.attrs["autofocus"] = True

    def condition_rows(self):
        return [
            (i, self[f"c{i}_field"], self[f"c{i}_op"], self[f"c{i}_value"])
            for i in range(self.rows)
        ]

    max_conditions = MAX_CONDITIONS

    @property
    def can_add_condition(self) -> bool:
        return self.rows < MAX_CONDITIONS

    def action_fields(self):
        return [self[k] for k in rules.ACTIONS]

    def clean(self):
        cleaned = super().clean()
        conditions = []
        for i in range(self.rows):
            field, op = cleaned.get(f"c{i}_field"), cleaned.get(f"c{i}_op") or "is"
            value = (cleaned.get(f"c{i}_value") or "").strip()
            if not field:
                continue
            kind = rules.CONDITION_FIELDS[field][1]
            if kind == rules.NUMBER:
                if op not in rules.NUMBER_OPS:
                    self.add_error(f"c{i}_op", "Use is, is not, <, ≤, > or ≥ for numbers.")
                if rules.rule_number(value) is None:
                    self.add_error(f"c{i}_value", "Enter a number.")
            elif op not in rules.TEXT_OPS:
                self.add_error(f"c{i}_op", "Use is, is not, contains or starts with for text.")
            if field == "destination" and not set(value.lower().replace(" ", "").split(",")) <= set(
                rules.DESTINATIONS
            ):
                self.add_error(f"c{i}_value", "Use domestic, international or military.")
            conditions.append({"field": field, "op": op, "value": value})
        if self.unread_rows:
            raise forms.ValidationError(f"A rule can have at most {MAX_CONDITIONS} conditions.")
        if len(conditions) > MAX_CONDITIONS:
            raise forms.ValidationError(
                f"A rule can have at most {MAX_CONDITIONS} conditions: remove "
                f"{len(conditions) - MAX_CONDITIONS}, or split it into two rules."
            )
        actions: dict = {}
        for key in rules.ACTIONS:
            value = cleaned.get(key)
            if value in (None, ""):
                continue
            if key in rules.BOOL_ACTIONS:
                actions[key] = value == "on"
            elif key == "ship_from":
                actions[key] = value.pk
            elif key == "hold_until":
                actions[key] = value.isoformat()
            elif key in rules.DECIMAL_ACTIONS:
                actions[key] = str(value)
            else:
                actions[key] = value
        if not actions:
            raise forms.ValidationError("Choose at least one action.")
        info = service_info(actions.get("service", ""))
        if actions.get("dangerous_goods") and info is not None and not info.dangerous_goods:
            # R15: the rule would set an option the service it also sets cannot carry.
            self.add_error(
                "dangerous_goods",
                f"{Service(actions['service']).label} can't carry Dangerous Goods: choose "
                "Ground Advantage, Priority Mail or Priority Mail Express.",
            )
        cleaned["conditions"], cleaned["actions"] = conditions, actions
        return cleaned

    def apply_to(self, rule: AutomationRule) -> AutomationRule:
        data = self.cleaned_data
        rule.name, rule.match = data["name"], data["match"]
        rule.enabled, rule.stop_processing = data["enabled"], data["stop_processing"]
        rule.conditions, rule.actions = data["conditions"], data["actions"]
        return rule


def initial_from_rule(rule: AutomationRule) -> dict:
    initial: dict = {
        "name": rule.name,
        "match": rule.match,
        "enabled": rule.enabled,
        "stop_processing": rule.stop_processing,
    }
    for i, cond in enumerate(rule.conditions or []):
        initial |= {
            f"c{i}_field": cond.get("field"),
            f"c{i}_op": cond.get("op"),
            f"c{i}_value": cond.get("value"),
        }
    for key, value in (rule.actions or {}).items():
        if key in rules.BOOL_ACTIONS:
            initial[key] = "on" if value else "off"
        elif key == "hold_until":
            initial[key] = dt.date.fromisoformat(value)
        else:
            initial[key] = value
    return initial


def _posted_rows(values: Mapping[str, Any]) -> int:
    """How many condition rows ``values`` (posted data or a form's initial) hold: one past
    the highest row named, blank rows included."""
    return max(
        (int(m[1]) + 1 for key in values if (m := _ROW_KEY.match(key))),
        default=0,
    )


def with_rows_changed(
    data: Mapping[str, Any], *, merchant: Merchant, rule: AutomationRule | None
) -> RuleForm:
    """The editor as typed, with a condition row added (``add_condition``) or one taken out
    (``remove_condition``: its number). Nothing is validated or saved: the merchant is
    still writing the rule, so no error is shown yet."""
    typed = RuleForm(data, merchant=merchant, rule=rule)
    values = {name: typed[name].data for name in typed.fields}
    rows = [
        tuple(values.pop(f"c{i}_{part}") for part in ("field", "op", "value"))
        for i in range(typed.rows)
    ]
    focus: int | None = None
    removed = parse_id(data.get("remove_condition"))
    if removed is not None and removed < len(rows):
        del rows[removed]
    elif "add_condition" in data and len(rows) < MAX_CONDITIONS:
        rows.append(("", "is", ""))
        focus = len(rows) - 1
    for i, (field, op, value) in enumerate(rows or [("", "is", "")]):
        values |= {f"c{i}_field": field, f"c{i}_op": op, f"c{i}_value": value}
    return RuleForm(
        merchant=merchant, rule=rule, initial=values, rows=len(rows) or 1, focus_row=focus
    )


def describe(rule: AutomationRule) -> tuple[str, str]:
    """Plain-language conditions and actions, for the rule list."""
    joiner = " or " if rule.match == AutomationRule.Match.ANY else " and "
    conds = joiner.join(
        f"{rules.CONDITION_FIELDS.get(c['field'], (c['field'],))[0]} "
        f"{rules.OPERATORS.get(c['op'], c['op']).split(' (')[0]} {c['value']}"
        for c in rule.conditions or []
    )
    acts = []
    for key, value in (rule.actions or {}).items():
        label = rules.ACTIONS.get(key, key)
        if key in rules.BOOL_ACTIONS:
            acts.append(f"{label}: {'on' if value else 'off'}")
        elif key == "service" and value in Service.values:
            acts.append(f"{label}: {Service(value).label}")
        else:
            acts.append(f"{label}: {value}")
    return conds or "Every order", "; ".join(acts)
