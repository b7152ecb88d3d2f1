from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from merchants import confirmation, limits, twostep, twostep_views
from merchants.forms import SignupForm
from merchants.ids import parse_id
from merchants.models import Merchant
from merchants.permissions import Perm
from merchants.redirects import back_to
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
    if request.method == "POST" and not limits.signup_allowed(request):
        form.is_valid()  # keeps what was typed, with its own errors too
        form.add_error(None, "Too many sign-ups from your network. Try again in an hour.")
        return render(request, "merchants/signup.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        user, merchant = form.save()
        login(request, user, backend="merchants.auth.EmailBackend")
        switch_merchant(request, merchant)
        _send_confirmation(request, user)
        messages.success(
            request,
            f"Welcome to ShipDesk, {merchant.name}. We sent a confirmation link to {user.email}.",
        )
        return redirect("home")
    return render(request, "merchants/signup.html", {"form": form})


def _send_confirmation(request: HttpRequest, user) -> None:
    uidb64, token = confirmation.link_parts(user)
    link = request.build_absolute_uri(reverse("confirm-email", args=[uidb64, token]))
    confirmation.send_confirmation(user, link)


@public_view
def confirm_email(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link from the confirmation e-mail; works without signing in (another device)."""
    user = confirmation.confirm(uidb64, token)
    if user is None:
        context = {
            "confirmed": request.user.is_authenticated and confirmation.is_confirmed(request.user)
        }
        return render(request, "merchants/confirm_failed.html", context, status=400)
    messages.success(request, f"Thanks, {user.email} is confirmed.")
    return redirect("home" if request.user.is_authenticated else "login")


@public_view
@require_POST
def resend_confirmation(request: HttpRequest) -> HttpResponse:
    """Signed-in people only (public_view so a member of no store can still confirm)."""
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("home"))
    target = back_to(request, request.POST.get("next"), "home")
    if confirmation.is_confirmed(request.user):
        messages.info(request, "Your e-mail is already confirmed.")
    elif not limits.confirmation_resend_allowed(request):
        messages.error(
            request,
            "We already sent several links this hour. Check your spam folder, or try again later.",
        )
        return target
    else:
        _send_confirmation(request, request.user)
        messages.success(request, f"We sent a new confirmation link to {request.user.email}.")
    return target


class SignInView(auth_views.LoginView):
    """Django's sign-in, closed to an address spraying guesses across many e-mails."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if limits.spraying(request):
            return render(request, "registration/locked_out.html", {"spraying": True}, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        """The right password; people with two-step sign-in still owe a code."""
        user = form.get_user()
        if twostep.is_enabled(user):
            return twostep_views.start(self.request, user, self.get_success_url())
        return super().form_valid(form)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, limited per address and per e-mail (no inbox flooding)."""

    def form_valid(self, form):
        if not limits.password_reset_allowed(self.request, form.cleaned_data["email"]):
            form.add_error(None, "Too many password reset requests. Try again in an hour.")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


@merchant_view(Perm.VIEW)
@require_POST
def switch(request: MerchantRequest) -> HttpResponse:
    merchant_id = parse_id(request.POST.get("merchant"))
    if merchant_id is None:
        return HttpResponseBadRequest("Choose a merchant to switch to.")
    merchant = get_object_or_404(
        Merchant.objects.filter(memberships__user=request.user, deleted_at__isnull=True),
        pk=merchant_id,
    )
    switch_merchant(request, merchant)
    messages.info(request, f"Now working in {merchant.name}.")
    return redirect("home")
