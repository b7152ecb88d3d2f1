"""Ship-from locations: where parcels leave from (Settings > Ship-from locations).

A store needs at least one before it can buy labels; its time zone, which drives the SCAN
form and pickup cut-offs, follows from the ZIP code (the carrier's rule, R43).
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import ProtectedError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from locations.forms import ShipFromLocationForm
from locations.models import ShipFromLocation
from locations.services import EDITABLE, delete_location, make_default, save_location
from merchants import events
from merchants.permissions import Perm
from merchants.tenancy import MerchantRequest, get_owned_or_404, merchant_view, owned


@merchant_view(Perm.SETTINGS, read=Perm.VIEW)
def location_list(request: MerchantRequest) -> HttpResponse:
    return render(
        request,
        "locations/list.html",
        {"locations": owned(request, ShipFromLocation).order_by("-is_default", "name")},
    )


@merchant_view(Perm.SETTINGS)
def location_edit(request: MerchantRequest, pk: int | None = None) -> HttpResponse:
    location = get_owned_or_404(request, ShipFromLocation, pk=pk) if pk else None
    form = ShipFromLocationForm(request.POST or None, instance=location)
    before = events.snapshot(location, EDITABLE) if location else None
    if request.method == "POST" and form.is_valid():
        saved = save_location(form, request.merchant, request.user, before)
        messages.success(request, f"Saved “{saved.name}”.")
        return redirect("locations:list")
    return render(request, "locations/edit.html", {"form": form, "location": location})


@merchant_view(Perm.SETTINGS)
@require_POST
def location_make_default(request: MerchantRequest, pk: int) -> HttpResponse:
    location = get_owned_or_404(request, ShipFromLocation, pk=pk)
    make_default(location, request.user)
    messages.success(
        request, f"New orders ship from “{location.name}” unless a rule says otherwise."
    )
    return redirect("locations:list")


@merchant_view(Perm.SETTINGS)
@require_POST
def location_delete(request: MerchantRequest, pk: int) -> HttpResponse:
    location = get_owned_or_404(request, ShipFromLocation, pk=pk)
    if location.is_default:
        messages.error(request, "Make another location the default before deleting this one.")
        return redirect("locations:list")
    try:
        delete_location(location, request.user)
    except ProtectedError:
        messages.error(
            request,
            f"“{location.name}” has labels or SCAN forms that were shipped from it, so it is "
            "kept for their records.",
        )
    else:
        messages.success(request, f"Deleted “{location.name}”.")
    return redirect("locations:list")
