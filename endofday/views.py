"""SCAN forms, pickups and each location's cut-off: thin views over the services in
endofday.scan_forms and endofday.pickups."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from carriers import services as carrier_services
from carriers.models import CarrierAccount
from carriers.services import ChosenAccountGone
from endofday import pickups as pickup_services
from endofday import scan_forms as scan_form_services
from endofday.forms import EndOfDaySettingsForm, PickupDetailsForm, PickupForm
from endofday.models import Pickup, ScanForm
from endofday.shipping_day import EndOfDayError
from locations.models import ShipFromLocation
from locations.shipping_day import local_now, scan_form_deadlines, settings_for
from merchants import events
from merchants.errors import MerchantError
from merchants.ids import parse_id, parse_ids
from merchants.pdf import pdf_response
from merchants.permissions import Perm
from merchants.tenancy import MerchantRequest, get_owned_or_404, merchant_view, owned


def _accounts(request: MerchantRequest):
    return owned(request, CarrierAccount.objects.connected()).order_by("-is_default", "nickname")


def _locations(request: MerchantRequest):
    return owned(request, ShipFromLocation)


LOCATION_GONE = (
    "The ship-from location you chose no longer exists. Choose another location and try again."
)


def _chosen(qs, wanted, *, strict: bool = False):
    """The location of ``qs`` the request names, else its first (default-first ordering).
    ``strict`` (where the location decides whose labels are closed): a named location that
    is gone is refused rather than replaced. Accounts are chosen with
    ``carriers.services.chosen_account``, which never falls back."""
    named = wanted is not None and str(wanted).strip() != ""
    wanted_id = parse_id(wanted)
    if wanted_id is not None:
        found = qs.filter(pk=wanted_id).first()
        if found is not None:
            return found
    if strict and named:
        raise EndOfDayError(LOCATION_GONE)
    return qs.first()


def _go(request: MerchantRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# --- SCAN forms ---------------------------------------------------------------------------


def _scan_form_context(request: MerchantRequest, **extra) -> dict:
    data = request.POST if request.method == "POST" else request.GET
    accounts = list(_accounts(request))
    locations = _locations(request)
    # A chosen account or location that is gone is never replaced by the default one: the
    # merchant chose whose labels to close.
    gone: MerchantError | None = None
    try:
        account = carrier_services.chosen_account(accounts, data.get("account"))
    except ChosenAccountGone as exc:
        account, gone = None, exc
    try:
        location = _chosen(locations, data.get("location"), strict=True)
    except EndOfDayError as exc:
        location, gone = None, gone or exc
    eligible, refusal, local = [], "", None
    if account is not None and location is not None:
        eligible = list(scan_form_services.eligible_labels(account, location))
        refusal = scan_form_services.scan_form_refusal(location)
        local = local_now(location)
    return {
        "accounts": accounts,
        "locations": locations,
        "account": account,
        "location": location,
        "eligible": eligible,
        "refusal": refusal,
        "local_now": local,
        "selected": set(parse_ids(data.getlist("shipment"))),
        "gone": gone,
        **extra,
        "error": extra.get("error") or gone,
    }


@merchant_view(Perm.LABELS, read=Perm.VIEW)
def scan_forms(request: MerchantRequest) -> HttpResponse:
    error: MerchantError | None = None
    if request.method == "POST":
        context = _scan_form_context(request)
        # Label ids as sent are text: anything that is not an id names no label at all.
        ids = (
            None
            if request.POST.get("scope") == "all"
            else parse_ids(request.POST.getlist("shipment"))
        )
        try:
            if context["gone"] is not None:
                raise context["gone"]
            if context["account"] is None or context["location"] is None:
                raise EndOfDayError(
                    "Connect a Stamps.com account and add a ship-from location first."
                )
            if ids is not None and not ids:
                raise EndOfDayError("Select at least one label, or close them all.")
            form = scan_form_services.create_scan_form(
                context["account"], context["location"], ids, user=request.user
            )
        except (EndOfDayError, ChosenAccountGone) as exc:
            error = exc
        else:
            messages.success(
                request, f"SCAN form {form.manifest_id} created for {form.label_count} labels."
            )
            return _go(request, reverse("endofday:scan-form", args=[form.pk]))
    context = _scan_form_context(request, error=error)
    if request.htmx:
        return render(request, "endofday/scan_forms.html#create", context)
    context["forms"] = owned(request, ScanForm).select_related("account", "location")[:50]
    context["scan_deadlines"] = scan_form_deadlines(context["locations"])
    return render(request, "endofday/scan_forms.html", context)


@merchant_view(Perm.LABELS, read=Perm.VIEW)
def scan_form_detail(request: MerchantRequest, pk: int) -> HttpResponse:
    form = get_owned_or_404(
        request, ScanForm.objects.select_related("account", "location", "created_by"), pk=pk
    )
    labels = [item.shipment for item in form.items.select_related("shipment__order")]
    return render(request, "endofday/scan_form.html", {"form": form, "labels": labels})


@merchant_view(Perm.LABELS, read=Perm.VIEW)
def scan_form_pdf(request: MerchantRequest, pk: int) -> HttpResponse:
    form = get_owned_or_404(request, ScanForm, pk=pk)
    try:
        data = scan_form_services.scan_form_pdf(form)
    except EndOfDayError as exc:
        messages.error(request, exc.message)
        return redirect("endofday:scan-form", pk=form.pk)
    return pdf_response(data, f"scan-form-{form.manifest_id}.pdf")


# --- pickups ------------------------------------------------------------------------------


def _pickup_form(request: MerchantRequest, data=None, initial=None) -> PickupForm:
    return PickupForm(
        data,
        initial=initial,
        accounts=_accounts(request),
        locations=_locations(request),
    )


def _pickup_page(request: MerchantRequest, form: PickupForm, **extra) -> HttpResponse:
    # In-flight rows are listed too: a stuck one shows until the sweep settles it.
    pickups = owned(request, Pickup)
    upcoming, past = pickup_services.split_pickups(
        pickups.select_related("location", "account").order_by("-pk")[:100]
    )
    context = {
        "form": form,
        "upcoming": upcoming,
        "past": past[:50],
        "scan_deadlines": scan_form_deadlines(_locations(request)),
        **extra,
    }
    return render(request, "endofday/pickups.html", context)


def _day_for(form: PickupForm):
    location = form.cleaned_data["location"]
    return pickup_services.pickup_day_for(location, form.cleaned_data["requested_date"])


@merchant_view(Perm.LABELS, read=Perm.VIEW)
def pickups(request: MerchantRequest) -> HttpResponse:
    if request.method != "POST":
        location = _chosen(_locations(request), request.GET.get("location"))
        initial = pickup_services.pickup_prefill(location) if location else {}
        form = _pickup_form(request, initial=initial)
        return _pickup_page(
            request, form, day=pickup_services.pickup_day_for(location) if location else None
        )
    form = _pickup_form(request, request.POST)
    if not form.is_valid():
        return _pickup_page(request, form)
    data = form.cleaned_data
    day = _day_for(form)
    if day.moved and not request.POST.get("confirm"):
        # R33: say which day USPS will come before anything is booked.
        return _pickup_page(request, form, day=day, review=True)
    try:
        pickup = pickup_services.schedule_pickup(
            data["account"],
            data["location"],
            requested_date=data["requested_date"],
            package_count=data["package_count"],
            total_weight_lb=data["total_weight_lb"],
            package_location=data["package_location"],
            instructions=data["instructions"],
            contact_phone=data["contact_phone"],
            user=request.user,
        )
    except EndOfDayError as exc:
        return _pickup_page(request, form, day=day, error=exc)
    messages.success(
        request,
        f"Pickup scheduled for {pickup.pickup_date:%A, %B %-d}. "
        f"Confirmation number {pickup.confirmation_number}.",
    )
    return _go(request, reverse("endofday:pickup", args=[pickup.pk]))


@merchant_view(Perm.LABELS, read=Perm.VIEW)
def pickup_date_note(request: MerchantRequest) -> HttpResponse:
    """htmx: the R33 note under the date field, while the merchant picks a date."""
    location = _chosen(_locations(request), request.GET.get("location"))
    try:
        requested = dt.date.fromisoformat(request.GET.get("requested_date", ""))
    except ValueError:
        requested = None
    day = pickup_services.pickup_day_for(location, requested) if location else None
    return render(request, "endofday/pickups.html#date-note", {"day": day})


def _details_initial(pickup: Pickup) -> dict:
    return {
        "package_count": pickup.package_count,
        "total_weight_lb": pickup.total_weight_lb,
        "package_location": pickup.package_location,
        "instructions": pickup.instructions,
        "contact_phone": pickup.contact_phone,
    }


@merchant_view(Perm.LABELS, read=Perm.VIEW)
def pickup_detail(request: MerchantRequest, pk: int) -> HttpResponse:
    pickup = get_owned_or_404(
        request,
        Pickup.objects.select_related(
            "location", "account", "created_by", "modified_by", "cancelled_by"
        ),
        pk=pk,
    )
    error = None
    if request.method == "POST":
        form = PickupDetailsForm(request.POST)
        if form.is_valid():
            try:
                pickup_services.modify_pickup(pickup, **form.cleaned_data, by=request.user)
            except EndOfDayError as exc:
                error = exc
            else:
                messages.success(request, "Pickup changed.")
                return _go(request, reverse("endofday:pickup", args=[pickup.pk]))
    else:
        form = PickupDetailsForm(initial=_details_initial(pickup))
    context = {
        "pickup": pickup,
        "form": form,
        "error": error,
        "can_change": pickup_services.can_change(pickup),
        "deadline": pickup_services.change_deadline(pickup),
    }
    return render(request, "endofday/pickup.html", context)


@merchant_view(Perm.LABELS)
@require_POST
def pickup_cancel(request: MerchantRequest, pk: int) -> HttpResponse:
    pickup = get_owned_or_404(request, Pickup.objects.select_related("location", "account"), pk=pk)
    try:
        pickup_services.cancel_pickup(pickup, by=request.user)
    except EndOfDayError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Pickup {pickup.confirmation_number} cancelled.")
    return _go(request, reverse("endofday:pickup", args=[pickup.pk]))


# --- cut-off settings ---------------------------------------------------------------------


@merchant_view(Perm.SETTINGS, read=Perm.VIEW)
def end_of_day_settings(request: MerchantRequest) -> HttpResponse:
    rows = [
        (loc, EndOfDaySettingsForm(instance=settings_for(loc), prefix=f"loc{loc.pk}"))
        for loc in _locations(request)
    ]
    return render(request, "endofday/settings.html", {"rows": rows})


@merchant_view(Perm.SETTINGS, read=Perm.VIEW)
def location_settings(request: MerchantRequest, pk: int) -> HttpResponse:
    location = get_owned_or_404(request, ShipFromLocation, pk=pk)
    instance = settings_for(location)
    form = EndOfDaySettingsForm(request.POST or None, instance=instance, prefix=f"loc{pk}")
    before = events.snapshot(instance, EndOfDaySettingsForm.Meta.fields)
    if request.method == "POST" and form.is_valid():
        events.save_settings(
            form,
            before,
            request.merchant,
            request.user,
            events.Action.END_OF_DAY,
            subject=location.name,
        )
        messages.success(request, f"End-of-day settings of {location.name} saved.")
        return _go(request, reverse("endofday:settings"))
    return render(request, "endofday/settings.html", {"rows": [(location, form)]})
