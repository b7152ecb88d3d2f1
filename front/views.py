from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from front.dashboard import dashboard_summary
from merchants.forms import CompanyForm
from merchants.models import Membership
from merchants.permissions import Perm
from merchants.tenancy import MerchantRequest, ShipDeskRequest, merchant_view, public_view


@merchant_view(Perm.VIEW)
def home(request: MerchantRequest) -> HttpResponse:
    return render(request, "front/home.html", {"summary": dashboard_summary(request.merchant)})


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
