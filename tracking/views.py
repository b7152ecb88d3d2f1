"""Merchant pages: tracking panels, refresh, branding and e-mail preview, webhooks."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.csp import CSP
from django.utils.html import escape
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST

from locations.models import ShipFromLocation
from merchants import crypto, events
from merchants.permissions import Perm, role_allows
from merchants.tenancy import MerchantRequest, get_owned_or_404, merchant_view, owned
from orders.models import Order
from shipments import returns as return_labels
from shipments.labels import LabelError, LabelPending
from shipments.models import Shipment, ShippingSettings
from tracking import notifications, polling, returns, webhooks
from tracking.forms import BrandingForm, ReturnLabelForm, WebhookEndpointForm
from tracking.models import (
    Branding,
    CustomerEmail,
    Parcel,
    TrackingEvent,
    WebhookDelivery,
    WebhookEndpoint,
)

TIMELINE = Prefetch("events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-pk"))


def _parcels(request: MerchantRequest, **lookup):
    return list(
        owned(request, Parcel)
        .filter(**lookup)
        .select_related("shipment")
        .prefetch_related(TIMELINE)
        .order_by("-created_at")
    )


@merchant_view(Perm.VIEW)
def order_panel(request: MerchantRequest, pk: int) -> HttpResponse:
    order = get_owned_or_404(request, Order, pk=pk)
    parcels = _parcels(request, shipment__order=order)
    context = {"parcels": parcels, "order": order, "return_from": _returnable(request, order)}
    return render(request, "tracking/panel.html", context)


def _returnable(request: MerchantRequest, order: Order) -> Shipment | None:
    """The order's bought label a return label can be made for now (R46), for the button."""
    if not role_allows(request.role, Perm.BUY_LABELS):
        return None
    outbound = (
        owned(request, Shipment)
        .filter(order=order, status=Shipment.Status.BOUGHT, return_of__isnull=True)
        .select_related("order")
        .first()
    )
    if outbound is None or return_labels.refused_reason(outbound):
        return None
    if outbound.returns.filter(status__in=Shipment.LIVE).exists():
        return None
    return outbound


@merchant_view(Perm.VIEW)
def shipment_panel(request: MerchantRequest, pk: int) -> HttpResponse:
    shipment = get_owned_or_404(request, Shipment, pk=pk)
    parcels = _parcels(request, shipment=shipment)
    return render(request, "tracking/panel.html", {"parcels": parcels, "shipment": shipment})


@merchant_view(Perm.LABELS)
@require_POST
def refresh(request: MerchantRequest, pk: int) -> HttpResponse:
    shipment = get_owned_or_404(request, Shipment.objects.select_related("account"), pk=pk)
    parcel = polling.refresh(shipment)
    if parcel is None:
        messages.warning(request, "This label has no tracking number to follow.")
    elif parcel.last_error:
        messages.error(request, f"Tracking could not be read: {parcel.last_error}")
    else:
        messages.success(request, "Tracking updated.")
    return redirect("shipments:detail", pk=shipment.pk)


@merchant_view(Perm.BUY_LABELS)
def return_new(request: MerchantRequest, pk: int) -> HttpResponse:
    """The return label form for a bought label (GET), and its purchase (POST) (R46)."""
    outbound = get_owned_or_404(
        request,
        Shipment.objects.select_related("order", "account", "ship_from").filter(
            return_of__isnull=True
        ),
        pk=pk,
    )
    locations = owned(request, ShipFromLocation)
    default_location = outbound.ship_from or locations.first()
    form = ReturnLabelForm(
        request.POST or None,
        locations=locations,
        initial={
            "service": return_labels.default_service(outbound),
            "location": default_location,
            "days": return_labels.DEFAULT_EXPIRY_DAYS,
            "email_buyer": bool(outbound.order.email),
        },
    )
    refused = return_labels.refused_reason(outbound)
    error: LabelError | None = None
    if request.method == "POST" and not refused and form.is_valid():
        data = form.cleaned_data
        try:
            shipment = return_labels.buy_return_label(
                outbound,
                location=data["location"],
                service=data["service"],
                days=data["days"],
                by=request.user,
            )
        except LabelError as exc:
            error = exc
        else:
            done = f"Return label created for order {outbound.order.number}."
            if data["email_buyer"]:
                try:
                    done += f" E-mailed to {returns.email_to_buyer(shipment)}."
                except returns.NoBuyerEmail as exc:
                    messages.warning(request, f"{exc} Print the label and send it instead.")
            messages.success(request, done)
            return redirect("shipments:detail", pk=shipment.pk)
    location = default_location
    if form.is_bound and form.is_valid():
        location = form.cleaned_data["location"]
    shop = None
    if not refused and location is not None:
        shop = return_labels.quotes(outbound, location)
    context = {"outbound": outbound, "form": form, "error": error, "refused": refused, "shop": shop}
    failed = request.method == "POST" and (error is not None or not form.is_valid() or refused)
    status = 409 if isinstance(error, LabelPending) else 400 if failed else 200
    return render(request, "tracking/return_new.html", context, status=status)


@merchant_view(Perm.BUY_LABELS)
@require_POST
def return_email(request: MerchantRequest, pk: int) -> HttpResponse:
    shipment = get_owned_or_404(
        request, Shipment.objects.select_related("order", "merchant"), pk=pk
    )
    if not shipment.is_return or shipment.status != Shipment.Status.BOUGHT:
        messages.error(request, "Only a created return label can be e-mailed to the buyer.")
    else:
        try:
            to = returns.email_to_buyer(shipment)
        except returns.NoBuyerEmail as exc:
            messages.error(request, f"{exc} Print the label and send it instead.")
        else:
            messages.success(request, f"Return label e-mailed to {to}.")
    return redirect("shipments:detail", pk=shipment.pk)


@merchant_view(Perm.SETTINGS, read=Perm.VIEW)
def branding(request: MerchantRequest) -> HttpResponse:
    current = Branding.get_for(request.merchant)
    form = BrandingForm(request.POST or None, request.FILES or None, instance=current)
    # The logo is named when it changes, never its bytes (events.changes).
    before = events.snapshot(current, [*BrandingForm.Meta.fields, "logo"])
    if request.method == "POST" and form.is_valid():
        events.save_settings(
            form, before, request.merchant, request.user, events.Action.BRANDING_CHANGED
        )
        messages.success(request, "Tracking page and e-mail branding saved.")
        return redirect("tracking:branding")
    prefs = ShippingSettings.get_for(request.merchant)
    context = {"form": form, "prefs": prefs, "kinds": CustomerEmail.Kind.choices}
    return render(request, "tracking/branding.html", context)


# The preview shows the e-mail as mail clients do: its own inline styles, in a same-origin
# frame; nothing scripted runs (the frame is sandboxed and scripts stay refused).
PREVIEW_CSP: dict[str, Any] = {
    **settings.SECURE_CSP,
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "frame-ancestors": [CSP.SELF],
}


@merchant_view(Perm.SETTINGS, read=Perm.VIEW)
@xframe_options_sameorigin
@csp_override(PREVIEW_CSP)
def email_preview(request: MerchantRequest) -> HttpResponse:
    kind = request.GET.get("kind", CustomerEmail.Kind.SHIPPED)
    if kind not in CustomerEmail.Kind.values:
        raise Http404("No such e-mail.")
    sample_order = Order(
        merchant=request.merchant,
        number="1001",
        recipient_name="Jane Buyer",
        email="jane@example.com",
    )
    sample = Shipment(
        merchant=request.merchant,
        order=sample_order,
        service="US-PM",
        service_name="Priority Mail",
        tracking_number="9405500000000000000000",
        ship_date=timezone.localdate(),
    )
    mail = notifications.compose(
        kind=kind,
        branding=Branding.get_for(request.merchant),
        merchant_name=request.merchant.name,
        order=sample_order,
        shipment=sample,
        parcel=Parcel(token="preview"),
        share_tracking=True,
        preview=True,
    )
    html = str(mail.alternatives[0][0])  # (content, mimetype)
    if request.GET.get("raw"):
        return HttpResponse(html)
    # The plain-text body comes from a text template (autoescape off), which marks it safe:
    # on this page it is text again, escaped (``escape`` ignores that mark) like anything the
    # store typed.
    text = escape(mail.body)
    return render(
        request,
        "tracking/preview.html",
        {"subject": mail.subject, "html": html, "text": text, "kind": kind},
    )


@merchant_view(Perm.SETTINGS)
def webhook_list(request: MerchantRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        endpoint = form.save(commit=False)
        endpoint.merchant = request.merchant
        endpoint.secret = webhooks.new_secret()
        # The endpoint receives the store's orders and addresses: the owner sees who added it.
        with transaction.atomic():
            endpoint.save()
            events.record(
                request.merchant, request.user, events.Action.WEBHOOK_ADDED, subject=endpoint.url
            )
        # Shown once, right after creation: stored encrypted, never displayed again. The
        # session carries it to that page encrypted too (sessions live in the database).
        request.session["webhook_secret"] = [endpoint.pk, crypto.encrypt(str(endpoint.secret))]
        return redirect("tracking:webhook", pk=endpoint.pk)
    endpoints = owned(request, WebhookEndpoint).order_by("created_at")
    return render(request, "tracking/webhooks.html", {"form": form, "endpoints": endpoints})


@merchant_view(Perm.SETTINGS)
def webhook_detail(request: MerchantRequest, pk: int) -> HttpResponse:
    endpoint = get_owned_or_404(request, WebhookEndpoint, pk=pk)
    # The new endpoint's own page takes the secret; another endpoint's page (a second tab)
    # leaves it waiting, or it would be lost before it was ever shown.
    waiting = request.session.get("webhook_secret")
    secret = ""
    if waiting and waiting[0] == endpoint.pk:
        del request.session["webhook_secret"]
        secret = crypto.decrypt(waiting[1])
    deliveries = endpoint.deliveries.order_by("-created_at", "-pk")[:50]
    context = {"endpoint": endpoint, "deliveries": deliveries, "secret": secret}
    response = render(request, "tracking/webhook.html", context)
    if secret:
        add_never_cache_headers(response)  # no copy of the secret in a browser's cache
    return response


@merchant_view(Perm.SETTINGS)
@require_POST
def webhook_toggle(request: MerchantRequest, pk: int) -> HttpResponse:
    endpoint = get_owned_or_404(request, WebhookEndpoint, pk=pk)
    if request.POST.get("action") == "delete":
        with transaction.atomic():
            endpoint.delete()
            events.record(
                request.merchant, request.user, events.Action.WEBHOOK_DELETED, subject=endpoint.url
            )
        messages.success(request, f"Webhook endpoint {endpoint.url} deleted.")
        return redirect("tracking:webhooks")
    endpoint.is_active = not endpoint.is_active
    endpoint.failing_since = None
    endpoint.disabled_at = None if endpoint.is_active else endpoint.disabled_at
    action = events.Action.WEBHOOK_ON if endpoint.is_active else events.Action.WEBHOOK_OFF
    with transaction.atomic():
        endpoint.save(update_fields=["is_active", "failing_since", "disabled_at"])
        events.record(request.merchant, request.user, action, subject=endpoint.url)
    messages.success(request, "Endpoint turned " + ("on." if endpoint.is_active else "off."))
    return redirect("tracking:webhook", pk=endpoint.pk)


@merchant_view(Perm.SETTINGS)
@require_POST
def webhook_replay(request: MerchantRequest, pk: int) -> HttpResponse:
    delivery = get_owned_or_404(request, WebhookDelivery.objects.select_related("endpoint"), pk=pk)
    if not delivery.endpoint.is_active:
        messages.error(request, "Turn the endpoint on before replaying its events.")
    else:
        webhooks.replay(delivery)
        messages.success(request, f"Event {delivery.event} queued again.")
    return redirect(reverse("tracking:webhook", args=[delivery.endpoint_id]))
