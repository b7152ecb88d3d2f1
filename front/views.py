from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.templatetags.static import static

from front import store_deletion
from front.dashboard import dashboard_summary
from merchants.forms import CompanyForm
from merchants.models import Membership
from merchants.permissions import Perm, role_allows
from merchants.tenancy import MerchantRequest, ShipDeskRequest, merchant_view, public_view


@merchant_view(Perm.VIEW)
def home(request: MerchantRequest) -> HttpResponse:
    summary = dashboard_summary(
        request.merchant, balance=role_allows(request.role, Perm.FUNDS_VIEW)
    )
    return render(request, "front/home.html", {"summary": summary})


@merchant_view(Perm.OWN, read=Perm.VIEW)
def settings_home(request: MerchantRequest) -> HttpResponse:
    """Settings: the company, and the way to every other setting."""
    is_owner = request.merchant.memberships.filter(
        user=request.user, role=Membership.Role.OWNER
    ).exists()
    form = CompanyForm(request.POST or None, instance=request.merchant)
    if request.method == "POST" and form.is_valid():  # owners only: see the decorator
        form.save()
        messages.success(request, "Company details saved.")
        return redirect("settings")
    members = request.merchant.memberships.select_related("user").order_by("created_at")
    return render(
        request,
        "front/settings.html",
        {"form": form, "is_owner": is_owner, "members": members},
    )


@public_view
def healthz(request: ShipDeskRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@public_view
def favicon(request: ShipDeskRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (a PDF or an image opened in a
    tab, the raw error pages): send them to the icon the pages name, not a 404 in the log."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


class DeleteStoreForm(forms.Form):
    name = forms.CharField(label="Type the store's name to confirm", max_length=120)
    balance_ack = forms.BooleanField(
        required=False,
        label="I understand the balance stays in my Stamps.com account; ShipDesk can't pay it out.",
    )
    labels_ack = forms.BooleanField(
        required=False,
        label="I understand labels I don't void now can only be voided at Stamps.com.",
    )


@merchant_view(Perm.OWN)
def delete_store(request: MerchantRequest) -> HttpResponse:
    """The owner closes the store for good, typing its name (front.store_deletion)."""
    merchant = request.merchant
    form = DeleteStoreForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            store_deletion.delete_store(
                merchant,
                request.user,
                typed_name=form.cleaned_data["name"],
                balance_ack=form.cleaned_data["balance_ack"],
                labels_ack=form.cleaned_data["labels_ack"],
            )
        except store_deletion.StoreDeletionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"{merchant.name} is deleted. Its records are kept so ShipDesk support can "
                "still answer questions about its postage and labels.",
            )
            return redirect("home")
    context = {"form": form, "check": store_deletion.check_deletion(merchant)}
    return render(request, "front/delete_store.html", context, status=400 if form.errors else 200)
