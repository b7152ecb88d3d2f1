from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from merchants.forms import SignupForm
from merchants.models import Merchant
from merchants.tenancy import (
    MerchantRequest,
    ShipDeskRequest,
    merchant_view,
    public_view,
    switch_merchant,
)


@public_view
def signup(request: ShipDeskRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user, merchant = form.save()
        login(request, user, backend="merchants.auth.EmailBackend")
        switch_merchant(request, merchant)
        messages.success(request, f"Welcome to ShipDesk, {merchant.name}.")
        return redirect("home")
    return render(request, "merchants/signup.html", {"form": form})


@merchant_view
@require_POST
def switch(request: MerchantRequest) -> HttpResponse:
    merchant = get_object_or_404(
        Merchant.objects.filter(memberships__user=request.user), pk=request.POST.get("merchant")
    )
    switch_merchant(request, merchant)
    messages.info(request, f"Now working in {merchant.name}.")
    return redirect("home")
