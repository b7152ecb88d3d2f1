"""Rates panel and calculator, buying, the shipments list, printing and voids."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.db.models import F, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from carriers import services as carrier_services
from carriers.models import CarrierAccount
from carriers.stamps.errors import StampsError
from carriers.stamps.types import Address
from locations.models import ShipFromLocation
from locations.shipping_day import scan_form_deadlines
from merchants import events
from merchants.errors import Fix, MerchantError
from merchants.exports import SafeWriter
from merchants.ids import parse_ids
from merchants.paging import keyset
from merchants.permissions import Perm
from merchants.tenancy import MerchantRequest, get_owned_or_404, merchant_view, owned
from orders import addresses
from orders.forms import OrderShippingForm
from orders.models import AddressStatus, Order
from shipments import labels, rating, returns, voids
from shipments.forms import BuyForm, RateCalculatorForm, ShippingSettingsForm
from shipments.models import DeliveryStatus, Shipment, ShippingSettings, UserPrintPreference

STALLED_AFTER = dt.timedelta(days=3)
LIST_ORDER = ("-created_at", "-pk")


def merchant_accounts(request: MerchantRequest):
    return list(owned(request, CarrierAccount.objects.connected()))


def chosen_account(request: MerchantRequest, accounts, wanted=None) -> CarrierAccount | None:
    """The account the request names (``wanted``, else its ``account`` parameter), or the
    default when it names none; raises ``ChosenAccountGone`` for one no longer connected."""
    if wanted is None or wanted == "":
        wanted = request.GET.get("account") or request.POST.get("account")
    return carrier_services.chosen_account(accounts, wanted)


def _order_for_rates(request: MerchantRequest, pk: int) -> Order:
    return get_owned_or_404(
        request, Order.objects.select_related("ship_from").prefetch_related("items"), pk=pk
    )


def package_form(data, order: Order) -> OrderShippingForm:
    """The order's package form bound to what the page sent. Fields the page did not render
    (customs choices on a domestic order) keep the order's values; unticked boxes stay off."""
    merged = data.copy()
    for name, field in OrderShippingForm.base_fields.items():
        if name not in merged and not isinstance(field, forms.BooleanField):
            value = getattr(order, f"{name}_id" if name == "ship_from" else name)
            merged[name] = "" if value is None else value
    return OrderShippingForm(merged, instance=order)


def _address_context(order: Order, account: CarrierAccount | None) -> dict:
    """R37a: the ship-to is checked before rates show; an unchanged address asks nothing."""
    check_error = ""
    try:
        addresses.check_ship_to(order, account)
    except StampsError as exc:
        check_error = exc.merchant_message
    status = addresses.status_of(order)
    return {
        "address_status": status,
        "address_label": AddressStatus(status).label,
        "address_changes": addresses.changes(order),
        "address_candidates": addresses.candidates(order),
        "address_attention": addresses.attention(order),
        "address_check_error": check_error,
        "address_buyable": status in addresses.BUYABLE,
    }


def _rates_context(request: MerchantRequest, order: Order, **extra) -> dict:
    accounts = merchant_accounts(request)
    try:
        account = chosen_account(request, accounts)
    except carrier_services.ChosenAccountGone as exc:
        # No rates of another account in its place: the next Buy would charge that one.
        account = None
        extra["buy_error"] = extra.get("buy_error") or exc
    checked = _address_context(order, account)
    preview = order
    # The package form's unsaved values (sent along by htmx) win over the saved order, so
    # rates follow what the merchant is typing without waiting for the save.
    if any(k in request.GET for k in ("weight_oz", "weight_lb", "package_type")):
        form = package_form(request.GET, order)
        if form.is_valid():
            preview = form.preview()
    # Priced for the date the label would be bought for (the next shipping day after the
    # cut-off), so buying a service shown here reuses its quote (rating.rate_for_service).
    ship_date = labels.default_ship_date(order)
    if account is None and accounts:
        shop = rating.RateShop(account=None)  # the chosen one is gone: buy_error says so
    elif checked["address_status"] == AddressStatus.INCOMPLETE:
        shop = rating.RateShop(account=account, error="Complete the ship-to address to see rates.")
    else:
        shop = rating.rate_shop(account, rating.query_for_order(preview, ship_date))
    today = labels.order_today(order)
    live = order.shipments.filter(
        status__in=[Shipment.Status.BUYING, Shipment.Status.BOUGHT], return_of__isnull=True
    )
    offered = [q.service for q in shop.quotes]
    # The service the order (or a rule) chose is preselected; otherwise the cheapest.
    selected = preview.service if preview.service in offered else next(iter(offered), "")
    return {
        "selected_service": selected,
        "order": order,
        "preview": preview,
        "shop": shop,
        "accounts": accounts,
        "account": account,
        "today": today,
        "ship_date": ship_date,
        "latest_ship_date": labels.latest_ship_date(today),
        "live_shipment": live.first(),
        **checked,
        **extra,
    }


@merchant_view(Perm.ORDERS, read=Perm.VIEW)
def rates_panel(request: MerchantRequest, pk: int) -> HttpResponse:
    order = _order_for_rates(request, pk)
    # htmx swaps the panel into the order page; the plain link (no JavaScript) gets a page.
    template = "shipments/rates.html#panel" if request.htmx else "shipments/rates_page.html"
    return render(request, template, _rates_context(request, order))


@merchant_view(Perm.BUY_LABELS)
@require_POST
def buy(request: MerchantRequest, pk: int) -> HttpResponse:
    order = _order_for_rates(request, pk)
    form = BuyForm(request.POST)
    error: MerchantError | None = None
    if "weight_oz" in request.POST and order.is_open:
        # The panel priced the package form as shown (saved or not): buy exactly that.
        package = package_form(request.POST, order)
        if package.is_valid():
            order = package.save()
        else:
            form.add_error(None, "Fix the package details first.")
            error = labels.LabelError(
                "Fix the package details first: "
                + " ".join(str(e) for errs in package.errors.values() for e in errs)
            )
    if error is None and form.is_valid():
        accounts = merchant_accounts(request)
        try:
            account = chosen_account(request, accounts, form.cleaned_data["account"])
            if account is None:
                raise labels.LabelError(
                    "Connect a Stamps.com account first.",
                    fix=Fix("carriers:connect", (), "Connect Stamps.com"),
                )
            shipment = labels.buy_label(
                order,
                account,
                form.cleaned_data["service"],
                form.cleaned_data.get("ship_date") or None,
                by=request.user,
            )
        except (labels.LabelError, carrier_services.ChosenAccountGone) as exc:
            error = exc
        else:
            url = reverse("shipments:detail", args=[shipment.pk])
            messages.success(request, f"Label created for order {order.number}.")
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    elif error is None:
        error = labels.LabelError("Choose a service and a ship date of today or later.")
    if request.htmx:
        context = _rates_context(request, order, buy_error=error)
        return render(request, "shipments/rates.html#panel", context, status=200)
    messages.error(request, error.message)
    return redirect("order-detail", pk=order.pk)


@merchant_view(Perm.ORDERS)
@require_POST
def ship_to(request: MerchantRequest, pk: int) -> HttpResponse:
    """The merchant's answer to the address check: use a candidate, or use as entered."""
    order = _order_for_rates(request, pk)
    error = None
    try:
        if "candidate" in request.POST:
            addresses.use_candidate(order, request.POST["candidate"])
        else:
            addresses.use_as_entered(order)
    except addresses.AddressNotVerified as exc:
        error = exc
    if request.htmx:
        context = _rates_context(request, order, buy_error=error)
        return render(request, "shipments/rates.html#panel", context)
    if error is not None:
        messages.error(request, error.message)
    return redirect("order-detail", pk=order.pk)


@merchant_view(Perm.ORDERS, read=Perm.VIEW)
def rate_calculator(request: MerchantRequest) -> HttpResponse:
    accounts = merchant_accounts(request)
    ship_from = owned(request, ShipFromLocation).first()
    initial = {"from_zip": ship_from.postal_code[:5] if ship_from else ""}
    form = RateCalculatorForm(request.GET or None, accounts=accounts, initial=initial)
    shop = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        account = chosen_account(request, accounts, data.get("account"))
        country = data["country"]
        to = Address(
            zip_code=data["to_zip"][:5] if country == "US" else "",
            postal_code="" if country == "US" else (data["to_zip"] or "00000"),
            country=country,
        )
        add_ons = rating.order_add_ons(
            Order(
                country=country,
                confirmation=data["confirmation"],
                insurance_amount=data.get("insurance") or 0,
            )
        )
        query = rating.RateQuery(
            from_zip=data["from_zip"][:5],
            to=to,
            weight_oz=data["total_oz"],
            package_type=data["package_type"],
            length=data.get("length"),
            width=data.get("width"),
            height=data.get("height"),
            add_ons=add_ons,
            insured_value=data.get("insurance") or Decimal("0"),
        )
        shop = rating.rate_shop(account, query)
        shop.notes[:0] = form.notes
    context = {"form": form, "shop": shop, "accounts": accounts}
    template = "shipments/calculator.html#results" if request.htmx else "shipments/calculator.html"
    return render(request, template, context)


def _filtered_shipments(request: MerchantRequest):
    # The SCAN form of each label, in the list's own query (no query per row).
    qs = (
        owned(request, Shipment)
        .select_related("order", "account")
        .annotate(
            scan_form_pk=F("scan_form_entry__scan_form_id"),
            scan_form_name=F("scan_form_entry__scan_form__manifest_id"),
        )
    )
    f = {
        "status": request.GET.get("status", ""),
        "q": request.GET.get("q", "").strip(),
        "service": request.GET.get("service", "").strip(),
        "delivery": request.GET.get("delivery", ""),
    }
    if f["status"] in Shipment.Status.values:
        qs = qs.filter(status=f["status"])
    else:
        f["status"] = ""
    if f["service"]:
        qs = qs.filter(service=f["service"])
    if f["delivery"] == "exception":
        qs = qs.filter(delivery_status=DeliveryStatus.EXCEPTION)
    elif f["delivery"] == "stalled":
        # Not moving for 3 days: still on its way, and no scan (or no first scan) since.
        quiet_since = timezone.now() - STALLED_AFTER
        qs = qs.filter(
            status=Shipment.Status.BOUGHT,
            delivery_status__in=[
                DeliveryStatus.PRE_TRANSIT,
                DeliveryStatus.IN_TRANSIT,
                DeliveryStatus.OUT_FOR_DELIVERY,
            ],
        ).filter(
            Q(last_scan_at__lt=quiet_since)
            | Q(last_scan_at__isnull=True, bought_at__lt=quiet_since)
        )
    else:
        f["delivery"] = ""
    return qs.order_by(*LIST_ORDER), f


def search_conditions(q: str) -> list[Q]:
    """A label's tracking number or its order's number, any part of either: each on its own
    trigram index on PostgreSQL (shipments/0007, orders/0008), asked apart by the list."""
    return [Q(tracking_number__icontains=q), Q(order__number__icontains=q)] if q else []


@merchant_view(Perm.LABELS, read=Perm.VIEW)
def shipment_list(request: MerchantRequest) -> HttpResponse:
    qs, f = _filtered_shipments(request)
    search = search_conditions(f["q"])
    if request.GET.get("format") == "csv":
        if search:
            qs = qs.filter(search[0] | search[1])
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = content_disposition_header(True, "shipments.csv")
        writer = SafeWriter(response)
        writer.writerow(
            [
                "Order",
                "Service",
                "Tracking",
                "Cost",
                "Ship date",
                "Status",
                "Created",
                "Voided",
                "Return label",
            ]
        )
        for s in qs.iterator():
            writer.writerow(
                [
                    s.order.number,
                    s.service_name or s.service,
                    s.tracking_number,
                    s.amount,
                    s.ship_date.isoformat(),
                    s.get_status_display(),
                    timezone.localtime(s.created_at).isoformat(timespec="seconds"),
                    timezone.localtime(s.voided_at).isoformat(timespec="seconds")
                    if s.voided_at
                    else "",
                    "yes" if s.is_return else "",
                ]
            )
        return response
    params = request.GET.copy()
    for name in ("page", "after", "before"):
        params.pop(name, None)
    # Keyset pages, newest first: no COUNT of the labels and no OFFSET (issue 21).
    page = keyset(
        qs,
        LIST_ORDER,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
        query=params.urlencode(),
        any_of=search,
    )
    context = {
        "page": page,
        "filters": f,
        "statuses": Shipment.Status.choices,
        "query": params.urlencode(),
        "scan_deadlines": scan_form_deadlines(owned(request, ShipFromLocation)),
    }
    return render(request, "shipments/list.html", context)


@merchant_view(Perm.LABELS, read=Perm.VIEW)
def shipment_detail(request: MerchantRequest, pk: int) -> HttpResponse:
    shipment = get_owned_or_404(
        request,
        Shipment.objects.select_related(
            "order", "account", "batch", "bought_by", "voided_by", "return_of", "return_to"
        ),
        pk=pk,
    )
    prefs = ShippingSettings.get_for(request.merchant)
    from shipments.notifications import notification_payload

    return_labels = list(shipment.returns.order_by("-created_at", "-pk"))
    context = {
        "s": shipment,
        "prefs": prefs,
        "refund": voids.refund_of(shipment) if shipment.status == Shipment.Status.VOIDED else None,
        "void_refused": voids.void_refused_reason(shipment)
        if shipment.status == Shipment.Status.BOUGHT
        else "",
        "payload": notification_payload(shipment, prefs)
        if shipment.status == Shipment.Status.BOUGHT and not shipment.is_return
        else None,
        "return_labels": return_labels,
        "return_live": any(r.status in Shipment.LIVE for r in return_labels),
        "return_refused": returns.refused_reason(shipment),
    }
    return render(request, "shipments/detail.html", context)


@merchant_view(Perm.LABELS)
@require_POST
def shipment_void(request: MerchantRequest, pk: int) -> HttpResponse:
    shipment = get_owned_or_404(request, Shipment.objects.select_related("order", "account"), pk=pk)
    try:
        shipment = voids.void_label(shipment, by=request.user)
    except labels.LabelPending as exc:
        messages.warning(request, exc.message)
    except labels.LabelError as exc:
        messages.error(request, exc.message)
    else:
        after = (
            "The return label can no longer be used."
            if shipment.is_return
            else f"Order {shipment.order.number} is awaiting shipment again."
        )
        messages.success(
            request,
            f"Label voided: a refund of ${shipment.amount:,.2f} is requested; it is added to "
            f"your balance when Stamps.com credits it. {after}",
        )
    return redirect("shipments:detail", pk=shipment.pk)


@merchant_view(Perm.LABELS)
@require_POST
def void_selected(request: MerchantRequest) -> HttpResponse:
    ids = parse_ids(request.POST.getlist("shipment"))
    shipments = owned(request, Shipment).filter(pk__in=ids).select_related("order", "account")
    voided, refused = voids.void_many(list(shipments), by=request.user)
    if voided:
        total = sum(s.amount for s in voided)
        labels_voided = ngettext("%(n)d label voided", "%(n)d labels voided", len(voided))
        messages.success(
            request,
            f"{labels_voided % {'n': len(voided)}}; refunds of ${total:,.2f} requested, added "
            "to your balance when Stamps.com credits them.",
        )
    for shipment, reason in refused:
        messages.error(request, f"{shipment.order.number}: {reason}")
    if not ids:
        messages.warning(request, "Select one or more labels first.")
    return redirect("shipments:list")


@merchant_view(Perm.SETTINGS, read=Perm.VIEW)
def shipping_settings(request: MerchantRequest) -> HttpResponse:
    prefs = ShippingSettings.get_for(request.merchant)
    form = ShippingSettingsForm(request.POST or None, instance=prefs)
    before = events.snapshot(prefs, ShippingSettingsForm.Meta.fields)
    if request.method == "POST" and form.is_valid():
        events.save_settings(
            form, before, request.merchant, request.user, events.Action.SHIPPING_SETTINGS
        )
        messages.success(request, "Shipping settings saved.")
        return redirect("shipments:settings")
    from shipments.print_views import MyPrintingForm

    mine = UserPrintPreference.objects.filter(merchant=request.merchant, user=request.user).first()
    return render(
        request,
        "shipments/settings.html",
        {"form": form, "mine": MyPrintingForm(instance=mine)},
    )
