"""Automation rules: the ordered list, the editor with preview, and reordering."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Max
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from merchants.ids import parse_id
from merchants.permissions import Perm
from merchants.tenancy import MerchantRequest, get_owned_or_404, merchant_view, owned
from orders import rules
from orders.models import AutomationRule
from orders.rule_forms import RuleForm, describe, with_rows_changed


@merchant_view(Perm.RULES, read=Perm.VIEW)
def rule_list(request: MerchantRequest) -> HttpResponse:
    rule_rows = [(r, *describe(r)) for r in owned(request, AutomationRule)]
    return render(request, "orders/automation.html", {"rules": rule_rows})


@merchant_view(Perm.RULES)
def rule_edit(request: MerchantRequest, pk: int | None = None) -> HttpResponse:
    rule = get_owned_or_404(request, AutomationRule, pk=pk) if pk else None
    if "add_condition" in request.POST or "remove_condition" in request.POST:
        # A row added or taken out while writing the rule: the editor again, as typed.
        form = with_rows_changed(request.POST, merchant=request.merchant, rule=rule)
        template = "orders/rule_form.html#conditions" if request.htmx else "orders/rule_form.html"
        return render(request, template, {"form": form, "rule": rule})
    form = RuleForm(request.POST or None, merchant=request.merchant, rule=rule)
    if request.method == "POST" and form.is_valid():
        if rule is None:
            top = owned(request, AutomationRule).aggregate(m=Max("position"))["m"]
            rule = AutomationRule(merchant=request.merchant, position=(top or 0) + 1)
        form.apply_to(rule).save()
        messages.success(
            request,
            f"Rule “{rule.name}” saved. It runs on new orders; use “Reapply rules” on the order "
            "list for existing ones.",
        )
        return redirect("automation")
    return render(request, "orders/rule_form.html", {"form": form, "rule": rule})


@merchant_view(Perm.RULES)
@require_POST
def rule_preview(request: MerchantRequest) -> HttpResponse:
    form = RuleForm(request.POST, merchant=request.merchant)
    context: dict = {"form": form}
    if form.is_valid():
        probe = form.apply_to(AutomationRule(merchant=request.merchant))
        checked, matched, rows = rules.preview_rule(request.merchant, probe)
        context |= {"checked": checked, "matched": matched, "rows": rows}
    template = "orders/rule_form.html#preview" if request.htmx else "orders/rule_form.html"
    return render(request, template, context)


@merchant_view(Perm.RULES)
@require_POST
def rule_move(request: MerchantRequest) -> HttpResponse:
    rule_id = parse_id(request.POST.get("rule"))
    if rule_id is None:
        return HttpResponseBadRequest("Choose a rule to move.")
    rule = get_owned_or_404(request, AutomationRule, pk=rule_id)
    ordered = list(owned(request, AutomationRule))
    index = ordered.index(rule)
    target = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
        with transaction.atomic():
            for position, r in enumerate(ordered, start=1):
                r.position = position
            AutomationRule.objects.bulk_update(ordered, ["position"])
    return redirect("automation")


@merchant_view(Perm.RULES)
def rule_delete(request: MerchantRequest, pk: int) -> HttpResponse:
    rule = get_owned_or_404(request, AutomationRule, pk=pk)
    if request.method != "POST":
        return render(request, "orders/rule_delete.html", {"rule": rule})
    rule.delete()
    messages.success(request, f"Rule “{rule.name}” deleted.")
    return redirect("automation")
