"""The buyer's tracking page and unsubscribe link: public, reached only by unguessable
tokens, rate-limited per address, and showing nothing of the store but its branding."""

from __future__ import annotations

import base64
from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.csp import csp_override

from merchants.tenancy import public_view
from shipments import printing
from tracking import notifications, returns
from tracking.models import Branding, Parcel

# The store's colours go in a <style> block with the request's nonce.
PAGE_CSP: dict[str, Any] = {**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.NONCE]}


def over_limit(request: HttpRequest) -> bool:
    """A fixed one-minute window per client address, in the shared cache."""
    key = f"tracking-page:{get_client_ip_address(request) or 'unknown'}"
    cache.add(key, 0, timeout=60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=60)
        count = 1
    return count > settings.TRACKING_PAGE_RATE_PER_MINUTE


NOT_FOUND = "tracking/not_found.html"


@public_view
@never_cache
@csp_override(PAGE_CSP)
def tracking_page(request: HttpRequest, token: str) -> HttpResponse:
    if over_limit(request):
        response = render(request, "tracking/too_many.html", status=429)
        response["Retry-After"] = "60"
        return response
    parcel = (
        Parcel.objects.filter(token=token)
        .select_related("shipment", "shipment__merchant")
        .prefetch_related("events")
        .first()
    )
    if parcel is None or parcel.stopped == Parcel.Stop.VOIDED:
        # A guessed token and a missing one look the same: same page, same status.
        return render(request, NOT_FOUND, status=404)
    brand = Branding.get_for(parcel.merchant_id)
    logo = ""
    if brand.logo:
        logo = f"data:{brand.logo_type};base64,{base64.b64encode(bytes(brand.logo)).decode()}"
    shipment = parcel.shipment
    context = {
        "parcel": parcel,
        "events": sorted(parcel.events.all(), key=lambda e: e.occurred_at, reverse=True),
        "brand": brand,
        "store_name": notifications.store_name(brand, shipment.merchant.name),
        "logo": logo,
        "status_label": shipment.get_delivery_status_display() or "Label created",
        "status": parcel.status,
        "service": shipment.service_name or shipment.service,
    }
    # The buyer sees the times the store sees on its own tracking panel: the store's zone
    # (named on the page), never the server's UTC; no merchant's request activated it here.
    with timezone.override(shipment.merchant.zone):
        response = render(request, "tracking/public.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


@public_view
@never_cache
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks, POST unsubscribes (mail scanners follow links; they do not submit forms)."""
    found = notifications.read_unsubscribe_token(token)
    if found is None:
        return render(request, "tracking/unsubscribe.html", {"invalid": True}, status=404)
    done = False
    if request.method == "POST":
        done = notifications.unsubscribe(token)
    return render(request, "tracking/unsubscribe.html", {"done": done, "email": found[1]})


@public_view
@never_cache
def return_label(request: HttpRequest, token: str) -> HttpResponse:
    """The buyer's return label (R46), by its signed, expiring link; a forged, expired or
    voided link gets the tracking page's not-found answer."""
    if over_limit(request):
        response = render(request, "tracking/too_many.html", status=429)
        response["Retry-After"] = "60"
        return response
    shipment = returns.label_for_token(token)
    if shipment is None:
        return render(request, NOT_FOUND, status=404)
    try:  # the carrier's own image, as stored at purchase (R39)
        job = printing.print_job(
            [shipment], printing.PrintOptions(), f"return-label-{shipment.order.number}"
        )
    except printing.PrintError:
        return HttpResponse(
            "The return label cannot be fetched right now. Please try again in a few minutes.",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    # One label: small enough to send whole (and a buyer's browser wants a length).
    response = HttpResponse(b"".join(job.chunks), content_type=job.content_type)
    response["Content-Disposition"] = content_disposition_header(False, job.filename) or "inline"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
