"""Ship-from locations: where parcels leave from (Settings > Ship-from locations).

A store needs at least one before it can buy labels; its time zone, which drives the SCAN
form and pickup cut-offs, follows from the ZIP code (the carrier's rule, R43).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import ProtectedError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from carriers.stamps.zones import state_for_zip
from locations.models import ShipFromLocation
from locations.regions import NAMES, RegionField
from merchants import events
from merchants.ids import ascii_digits
from merchants.permissions import Perm
from merchants.tenancy import MerchantRequest, get_owned_or_404, merchant_view, owned


class ShipFromLocationForm(forms.ModelForm):
    # Ship-from locations are in the US: the carrier's pickups and SCAN forms refuse anything
    # but a state code, so it is chosen from the list (a typed name is understood too).
    state = RegionField(countries=("US",))

    class Meta:
        model = ShipFromLocation
        fields = [
            "name",
            "contact_name",
            "company",
            "street1",
            "street2",
            "city",
            "state",
            "postal_code",
            "phone",
        ]
        help_texts = {
            "contact_name": "First and last name: international and military labels need both.",
            "postal_code": "Its time zone (for the 9pm SCAN form deadline, the shipping cut-off "
            "and pickups) is the ZIP code's, as Stamps.com judges it.",
        }

    def clean_contact_name(self) -> str:
        name = self.cleaned_data["contact_name"].strip()
        words = name.split()
        if len(words) < 2 or any(len(w) < 2 for w in words):
            raise forms.ValidationError(
                "Enter a first and last name, each at least two letters: USPS needs both on "
                "international and military labels."
            )
        return name

    def clean_postal_code(self) -> str:
        value = self.cleaned_data["postal_code"].strip()
        digits = value.replace("-", "")
        if not (ascii_digits(digits) and len(digits) in (5, 9)):
            raise forms.ValidationError("Enter a 5-digit ZIP code, like 97209.")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or self.cleaned_data
        state, zip_code = cleaned.get("state", ""), cleaned.get("postal_code", "")
        # The ZIP sets the location's time zone (R43) and goes on every label's return address:
        # a typo in either would go unnoticed until a SCAN form missed its 9 pm.
        zip_state = state_for_zip(zip_code) if state and zip_code else None
        if zip_state and zip_state != state:
            states = NAMES["US"]
            self.add_error(
                "postal_code",
                f"ZIP code {zip_code[:5]} is in {states.get(zip_state, zip_state)}, not "
                f"{states.get(state, state)}: check the ZIP code or the state.",
            )
        return cleaned


# The fields a merchant edits, compared before and after a save for the activity log.
EDITABLE = ShipFromLocationForm.Meta.fields


def _where(location: ShipFromLocation) -> str:
    return f"{location.city}, {location.state} {location.postal_code}"


@transaction.atomic
def make_default(location: ShipFromLocation, by) -> None:
    """New orders ship from ``location``; the activity log names the one it replaces."""
    if location.is_default:
        return
    previous = (
        ShipFromLocation.objects.for_merchant(location.merchant).filter(is_default=True).first()
    )
    ShipFromLocation.objects.for_merchant(location.merchant).filter(is_default=True).exclude(
        pk=location.pk
    ).update(is_default=False)
    ShipFromLocation.objects.filter(pk=location.pk).update(is_default=True)
    location.is_default = True
    events.record(
        location.merchant,
        by,
        events.Action.LOCATION_DEFAULT,
        subject=location.name,
        detail=f"was “{previous.name}”" if previous else "",
    )


@transaction.atomic
def save_location(
    form: ShipFromLocationForm, merchant, by, before: dict | None = None
) -> ShipFromLocation:
    """Saves a new location (``before`` None) or an edited one (``before``: its
    ``events.snapshot`` taken before the form was validated); the log says which fields."""
    location = form.save(commit=False)
    location.merchant = merchant
    first = not ShipFromLocation.objects.for_merchant(merchant).exclude(pk=location.pk).exists()
    location.is_default = location.is_default or first
    location.save()
    if before is None:
        action, detail = events.Action.LOCATION_ADDED, _where(location)
        detail += ", the default" if first else ""
    else:
        action, detail = events.Action.LOCATION_CHANGED, events.changes(before, location)
        if not detail:
            return location  # saved as it was: nothing to log
        if before["name"] != location.name:
            detail = detail.replace("location name", f"location name (was “{before['name']}”)")
    events.record(merchant, by, action, subject=location.name, detail=detail)
    return location


@transaction.atomic
def delete_location(location: ShipFromLocation, by) -> None:
    """Raises ProtectedError when labels or SCAN forms still name the location."""
    location.delete()
    events.record(
        location.merchant,
        by,
        events.Action.LOCATION_DELETED,
        subject=location.name,
        detail=_where(location),
    )


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
