from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from merchants.ids import parse_ids
from merchants.nul import holds_nul
from merchants.nul import refusal as nul_refusal
from merchants.paging import keyset
from merchants.permissions import Perm
from merchants.redirects import back_to
from merchants.tenancy import MerchantRequest, get_owned_or_404, merchant_view, owned
from orders import bulk, importing, rules, validation
from orders.bulk import BulkEditForm
from orders.countries import COUNTRIES, country_code
from orders.forms import NewOrderForm, OrderShippingForm, ShipToForm
from orders.models import Order, OrderItem, SavedView

SORTS = {
    "-date": ("-order_date", "-pk"),
    "date": ("order_date", "pk"),
    "number": ("number", "pk"),
    "-number": ("-number", "-pk"),
    "recipient": ("recipient_name", "pk"),
    "total": ("total", "pk"),
    "-total": ("-total", "-pk"),
    "country": ("country", "-order_date", "-pk"),
}
PAGE_SIZES = (25, 50, 100)
LIST_COLUMNS = (
    "pk",
    "number",
    "store",
    "order_date",
    "status",
    "recipient_name",
    "city",
    "state",
    "country",
    "service",
    "total",
    "tags",
    "weight_lb",
    "weight_oz",
)


@functools.cache
def country_options(selected: str) -> SafeString:
    """The country <option>s, built once per selection: 249 template loop turns cost more
    than the rest of the order list."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((code, " selected" if code == selected else "", name) for code, name in COUNTRIES.items()),
    )


@functools.cache
def bulk_fields() -> SafeString:
    """The bulk-edit fields, rendered once: the form is always shown empty (the outcome of a
    change is a notice above the list), and its choices are fixed, but each <option> is a
    template of its own: re-rendering them cost a sixth of the order list."""
    return render_to_string("orders/_bulk_fields.html", {"bulk_form": BulkEditForm()})


# Days a date filter can name, the years an order can be dated in: a year typed as 9999 (the
# date box allows it) means no bound, and the day after 9999-12-31 does not exist (it was a
# server error).
FILTER_YEARS = importing.ORDER_DATE_YEARS


def _parse_day(text: str) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if day.year in FILTER_YEARS else None


def filtered_orders(request: MerchantRequest, params: QueryDict | None = None) -> tuple:
    """The merchant's orders narrowed by the query string (or ``params``: the filter a bulk
    action was sent with), and the filters understood."""
    orders, f, search = _narrowed(request, params)
    if search:
        # A union of one sub-select per searched field, not one OR: on PostgreSQL each can
        # use its trigram index ("select all matching" counts it, bulk actions change it).
        first, *rest = [orders.filter(c).order_by().values("pk") for c in search]
        orders = orders.filter(pk__in=first.union(*rest))
    return orders, f


def search_conditions(q: str) -> list[Q]:
    """What a search matches: any of the order number, the recipient's name or e-mail, or an
    item's SKU (a substring of either, any case). Each is ``UPPER(col) LIKE UPPER(%q%)`` on
    PostgreSQL, the expression the trigram indexes of orders/0008 are built on; the order
    list asks for each separately (``merchants.paging.keyset``), so each can use its index."""
    sku = OrderItem.objects.filter(order=OuterRef("pk"), sku__icontains=q)
    names = Q(number__icontains=q) | Q(recipient_name__icontains=q) | Q(email__icontains=q)
    return [names, Q(Exists(sku))]


def _narrowed(request: MerchantRequest, params: QueryDict | None) -> tuple:
    get = request.GET if params is None else params
    f: dict[str, Any] = {
        "status": get.get("status", "") if get.get("status") in Order.Status.values else "",
        "store": get.get("store", "").strip(),
        "country": country_code(get.get("country", "")) or "",
        "tag": get.get("tag", "").strip(),
        "q": get.get("q", "").strip(),
        "from": _parse_day(get.get("from", "")),
        "to": _parse_day(get.get("to", "")),
        "sort": get.get("sort") if get.get("sort") in SORTS else "-date",
    }
    try:
        f["per_page"] = int(get.get("per_page", 50))
    except ValueError:
        f["per_page"] = 50
    if f["per_page"] not in PAGE_SIZES:
        f["per_page"] = 50
    orders = owned(request, Order)
    if f["status"]:
        orders = orders.filter(status=f["status"])
    if f["store"]:
        orders = orders.filter(store__iexact=f["store"])
    if f["country"]:
        orders = orders.filter(country=f["country"])
    if f["tag"]:
        orders = orders.filter(tags__icontains=f["tag"])
    # Day bounds in the current (store's) time zone, as ``order_date__date`` would compare,
    # but as a range on the column itself, which the list's indexes can seek to.
    zone = timezone.get_current_timezone()
    if f["from"]:
        orders = orders.filter(order_date__gte=dt.datetime.combine(f["from"], dt.time(), zone))
    if f["to"]:
        next_day = f["to"] + dt.timedelta(days=1)
        orders = orders.filter(order_date__lt=dt.datetime.combine(next_day, dt.time(), zone))
    search = search_conditions(f["q"]) if f["q"] else []
    return orders.order_by(*SORTS[f["sort"]]), f, search


@merchant_view(Perm.ORDERS, read=Perm.VIEW)
def order_list(request: MerchantRequest) -> HttpResponse:
    select = request.GET.get("select", "")
    context = list_context(request, request.GET, select_all=select == "all")
    if select == "page":  # "Select all on this page" without JavaScript
        context["selected"] = {o.pk for o in context["orders"]}
    template = "orders/list.html#results" if request.htmx else "orders/list.html"
    return render(request, template, context)


def list_context(
    request: MerchantRequest,
    params: QueryDict,
    *,
    selected: Iterable[int] = (),
    select_all: bool = False,
    notice: str = "",
) -> dict:
    """The order list for ``params``; ``selected`` orders stay ticked (after a bulk action
    sent with htmx), and ``select_all`` selects every order matching the filter."""
    orders, f, search = _narrowed(request, params)
    query = params.copy()
    for name in ("page", "select", "after", "before"):
        query.pop(name, None)
    # Keyset pages: no COUNT of the filter and no OFFSET, so any page of a million orders
    # costs what the first one does (one query of a row more than the page).
    # Units per order in the page's own query (a sub-select per row shown, by order_id).
    units = (
        OrderItem.objects.filter(order=OuterRef("pk"))
        .values("order")
        .annotate(n=Sum("quantity"))
        .values("n")
    )
    pager = keyset(
        orders.only(*LIST_COLUMNS).annotate(units=Coalesce(Subquery(units), 0)),
        SORTS[f["sort"]],
        after=params.get("after", ""),
        before=params.get("before", ""),
        size=f["per_page"],
        query=query.urlencode(),
        any_of=search,
    )
    shown = pager.rows
    now = timezone.now()
    for order in shown:
        order.age = timesince(order.order_date, now, depth=1)
    context = {
        "orders": shown,
        "pager": pager,
        "filters": f,
        "query": query.urlencode(),
        "statuses": Order.Status.choices,
        "country_options": country_options(f["country"]),
        # /orders/<id>/ for 50 rows without 50 reverse() calls
        "order_url": reverse("order-list"),
        "sorts": SORTS,
        "page_sizes": PAGE_SIZES,
        "selected": {o.pk for o in shown} if select_all else set(selected),
        # Counted only when asked for: the list itself never counts the whole filter.
        "matching": filtered_orders(request, params)[0].count() if select_all else None,
        "bulk_fields": bulk_fields(),
        "saved_views": SavedView.objects.for_merchant(request.merchant).filter(user=request.user),
        "notice": notice,
    }
    return context


def chosen_orders(request: MerchantRequest) -> tuple[QuerySet[Order], QueryDict, list[int]]:
    """The orders a bulk action is for: the ticked ones, or every order matching the filter
    the list was showing ("all N orders matching this filter"). Always the merchant's own."""
    params = QueryDict(request.POST.get("filter", ""))
    ids = parse_ids(request.POST.getlist("order"))
    if request.POST.get("scope") == "filter":
        orders, _ = filtered_orders(request, params)
        return orders, params, ids
    return owned(request, Order).filter(pk__in=ids), params, ids


def _after_bulk(
    request: MerchantRequest, params: QueryDict, ids: list[int], text: str, ok: bool = True
) -> HttpResponse:
    """htmx: the list comes back with the same orders still ticked and the outcome above it.
    Without JavaScript: back to the list, with the outcome as a message."""
    if request.htmx:
        select_all = request.POST.get("scope") == "filter"
        context = list_context(request, params, selected=ids, select_all=select_all, notice=text)
        context["notice_ok"] = ok
        return render(request, "orders/list.html#results", context)
    (messages.success if ok else messages.warning)(request, text)
    return redirect(f"{reverse('order-list')}?{params.urlencode()}")


@merchant_view(Perm.ORDERS)
@require_POST
def order_reapply_rules(request: MerchantRequest) -> HttpResponse:
    orders, params, ids = chosen_orders(request)
    if holds_nul(params):
        return nul_refusal(request)
    chosen = list(orders.values_list("pk", flat=True)[: bulk.MAX_ORDERS])
    if not chosen:
        text, ok = "Select one or more orders first.", False
    else:
        changed = rules.reapply_rules(request.merchant, chosen)
        text = ngettext(
            "Automation rules reapplied to %(n)d order; %(changed)d changed.",
            "Automation rules reapplied to %(n)d orders; %(changed)d changed.",
            len(chosen),
        ) % {"n": len(chosen), "changed": changed}
        ok = True
    if "filter" not in request.POST:  # the order page's own button
        (messages.success if ok else messages.warning)(request, text)
        return back_to(request, request.POST.get("next"), "order-list")
    return _after_bulk(request, params, ids, text, ok)


@merchant_view(Perm.ORDERS)
@require_POST
def order_bulk_edit(request: MerchantRequest) -> HttpResponse:
    orders, params, ids = chosen_orders(request)
    if holds_nul(params):
        return nul_refusal(request)
    form = bulk.BulkEditForm(request.POST)
    if not (ids or request.POST.get("scope") == "filter"):
        return _after_bulk(request, params, ids, "Select one or more orders first.", ok=False)
    if not form.is_valid():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return _after_bulk(request, params, ids, " ".join(errors), ok=False)
    result = bulk.bulk_set(orders, form.changes())
    return _after_bulk(request, params, ids, result.summary(), ok=not result.refused)


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=60)
    query = forms.CharField(max_length=1000, required=False)


@merchant_view(Perm.VIEW)  # a person's own way of looking at the list, not a change to orders
@require_POST
def saved_view_save(request: MerchantRequest) -> HttpResponse:
    """Name the list's current filter; the same name again replaces it."""
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        messages.warning(request, "Give the view a name of up to 60 characters.")
        return redirect(f"{reverse('order-list')}?{request.POST.get('query', '')}")
    query = QueryDict(form.cleaned_data["query"]).copy()
    for name in ("page", "select", "after", "before"):  # a view is a filter, not a place
        query.pop(name, None)
    SavedView.objects.update_or_create(
        merchant=request.merchant,
        user=request.user,
        name=form.cleaned_data["name"].strip(),
        defaults={"query": query.urlencode()},
    )
    messages.success(request, f"Saved the view “{form.cleaned_data['name'].strip()}”.")
    return redirect(f"{reverse('order-list')}?{query.urlencode()}")


@merchant_view(Perm.VIEW)
@require_POST
def saved_view_delete(request: MerchantRequest, pk: int) -> HttpResponse:
    view = get_owned_or_404(request, SavedView.objects.filter(user=request.user), pk=pk)
    view.delete()
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("order-list")


def _detail_context(
    request: MerchantRequest,
    order: Order,
    form: OrderShippingForm,
    address_form: ShipToForm | None = None,
) -> dict:
    preview = form.preview() if form.is_bound else order
    problems = validation.shipment_problems(preview)
    return {
        "order": order,
        "form": form,
        "address_form": address_form or ShipToForm(instance=order),
        "available": validation.available_options(preview),
        "problems": [p for p in problems if p.level != validation.TODO],
        "to_do": [p for p in problems if p.level == validation.TODO],
        # A voided label opens the order again, but its tracking panel still says where the
        # refund stands: the panel shows while any label with a tracking number exists.
        "has_tracked_labels": order.shipments.exclude(tracking_number="").exists(),
    }


@merchant_view(Perm.ORDERS, read=Perm.VIEW)
def order_detail(request: MerchantRequest, pk: int) -> HttpResponse:
    order = get_owned_or_404(
        request,
        Order.objects.select_related("ship_from").prefetch_related("items", "rule_changes"),
        pk=pk,
    )
    form = OrderShippingForm(instance=order)
    return render(request, "orders/detail.html", _detail_context(request, order, form))


@merchant_view(Perm.ORDERS, read=Perm.VIEW)
def order_package(request: MerchantRequest, pk: int) -> HttpResponse:
    order = get_owned_or_404(request, Order.objects.select_related("ship_from"), pk=pk)
    if request.method != "POST":
        form = OrderShippingForm(instance=order)
        return render(request, "orders/detail.html#shipping", _detail_context(request, order, form))
    form = OrderShippingForm(request.POST, instance=order)
    saved = form.is_valid()
    if saved:
        # An edit never re-runs rules (R36).
        order = form.save()
        form = OrderShippingForm(instance=order)
    if request.htmx:
        context = _detail_context(request, order, form) | {"saved": saved}
        return render(request, "orders/detail.html#shipping", context)
    if saved:
        messages.success(request, "Shipping details saved.")
        return redirect("order-detail", pk=order.pk)
    order = get_owned_or_404(
        request, Order.objects.prefetch_related("items", "rule_changes"), pk=pk
    )
    return render(request, "orders/detail.html", _detail_context(request, order, form), status=422)


@merchant_view(Perm.ORDERS)
@require_POST
def order_address(request: MerchantRequest, pk: int) -> HttpResponse:
    """Correct the ship-to. Nothing is saved unless every field is right, and the page comes
    back with what was typed and the reason."""
    order = get_owned_or_404(
        request,
        Order.objects.select_related("ship_from").prefetch_related("items", "rule_changes"),
        pk=pk,
    )
    address_form = ShipToForm(request.POST, instance=order)
    if address_form.is_valid():
        address_form.save()
        messages.success(request, "Ship-to address saved: it is checked with Stamps.com again.")
        return redirect("order-detail", pk=order.pk)
    order.refresh_from_db()  # the invalid form must not leave its values on the page's order
    context = _detail_context(request, order, OrderShippingForm(instance=order), address_form)
    return render(request, "orders/detail.html", context, status=422)


@merchant_view(Perm.ORDERS)
def order_new(request: MerchantRequest) -> HttpResponse:
    form = NewOrderForm(request.POST or None, merchant=request.merchant)
    if request.method == "POST" and form.is_valid():
        result = importing.import_json(request.merchant, {"orders": [form.as_api_order()]})
        if result.created:
            order = owned(request, Order).get(number=form.cleaned_data["order_number"])
            messages.success(request, f"Order {order.number} created.")
            return redirect("order-detail", pk=order.pk)
        for error in result.errors:
            form.add_error(None, error.reason)
    return render(request, "orders/new.html", {"form": form})
