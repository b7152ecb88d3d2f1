from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from shipdesk import limits
from shipdesk.dashboard import dashboard_summary
from shipdesk.forms import CompanyForm, SignupForm
from shipdesk.ids import parse_id
from shipdesk.models import Membership, Merchant
from shipdesk.tenancy import merchant_view, public_view, switch_merchant


@public_view
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and not limits.signup_allowed(request):
        form.is_valid()  # keeps what was typed, with its own errors too
        form.add_error(None, "Too many sign-ups from your network. Try again in an hour.")
        return render(request, "shipdesk/signup.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        user, merchant = form.save()
        login(request, user, backend="shipdesk.auth.EmailBackend")
        switch_merchant(request, merchant)
        messages.success(request, f"Welcome to ShipDesk, {merchant.name}.")
        return redirect("home")
    return render(request, "shipdesk/signup.html", {"form": form})


class SignInView(auth_views.LoginView):
    """Django's sign-in, closed to an address spraying guesses across many e-mails."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if limits.spraying(request):
            return render(request, "registration/locked_out.html", {"spraying": True}, status=429)
        return super().post(request, *args, **kwargs)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, limited per address and per e-mail (no inbox flooding)."""

    def form_valid(self, form):
        if not limits.password_reset_allowed(self.request, form.cleaned_data["email"]):
            form.add_error(None, "Too many password reset requests. Try again in an hour.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


@merchant_view
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "shipdesk/home.html", {"summary": dashboard_summary(request.merchant)})


@merchant_view
@require_POST
def switch(request: HttpRequest) -> HttpResponse:
    merchant_id = parse_id(request.POST.get("merchant"))
    if merchant_id is None:
        return HttpResponseBadRequest("Choose a merchant to switch to.")
    merchant = get_object_or_404(
        Merchant.objects.filter(memberships__user=request.user), pk=merchant_id
    )
    switch_merchant(request, merchant)
    messages.info(request, f"Now working in {merchant.name}.")
    return redirect("home")


@merchant_view
def settings_home(request: HttpRequest) -> HttpResponse:
    """Settings: the company, and the way to every other setting."""
    is_owner = request.merchant.memberships.filter(
        user=request.user, role=Membership.Role.OWNER
    ).exists()
    form = CompanyForm(request.POST or None, instance=request.merchant)
    if request.method == "POST":
        if not is_owner:
            messages.error(request, "Only the store's owner can change the company details.")
            return redirect("settings")
        if form.is_valid():
            form.save()
            messages.success(request, "Company details saved.")
            return redirect("settings")
    members = request.merchant.memberships.select_related("user").order_by("created_at")
    return render(
        request,
        "shipdesk/settings.html",
        {"form": form, "is_owner": is_owner, "members": members},
    )


@public_view
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
