"""Two-step sign-in pages: the code after the password, and the person's own set-up."""

from __future__ import annotations

import time

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from merchants import limits, twostep
from merchants.tenancy import SignedInRequest, account_view, public_view

PENDING = "shipdesk_two_step_pending"
SETUP_SALT = "shipdesk.two-step-setup"


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text="The 6 digits your authenticator app shows, or one of your recovery codes.",
    )


def start(request: HttpRequest, user, next_url: str) -> HttpResponse:
    """After the right password: remember who is half signed in and ask for the code."""
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "backend": getattr(user, "backend", "merchants.auth.EmailBackend"),
        "next": next_url,
        "at": time.time(),
    }
    return redirect("two-step-code")


def _pending_user(request: HttpRequest):
    pending = request.session.get(PENDING)
    if not pending:
        return None, None
    from django.conf import settings

    if time.time() - pending["at"] > settings.TWO_STEP_PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None, None
    return get_user_model().objects.filter(pk=pending["user"], is_active=True).first(), pending


@public_view
def code(request: HttpRequest) -> HttpResponse:
    user, pending = _pending_user(request)
    if user is None:
        messages.info(request, "Sign in again: the time to enter your code ran out.")
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "merchants/two_step_code.html", {"form": form})
    if limits.two_step_locked(request, user.pk):
        request.session.pop(PENDING, None)
        form.add_error(None, "Too many wrong codes. Wait 15 minutes, then sign in again.")
        return render(request, "merchants/two_step_code.html", {"form": form}, status=429)
    if not twostep.verify(user, form.cleaned_data["code"]):
        limits.record_two_step_failure(request, user.pk)
        form.add_error("code", "That code isn't right, or was already used. Try the next one.")
        return render(request, "merchants/two_step_code.html", {"form": form}, status=400)
    request.session.pop(PENDING, None)
    login(request, user, backend=pending["backend"])
    safe = url_has_allowed_host_and_scheme(pending["next"], allowed_hosts={request.get_host()})
    return redirect(pending["next"] if safe and pending["next"] else "home")


@account_view
def settings_page(request: SignedInRequest) -> HttpResponse:
    """Turn two-step sign-in on (scan, then type a code) or off (with a current code)."""
    user = request.user
    enabled = twostep.is_enabled(user)
    form = CodeForm(request.POST or None)
    context: dict = {"enabled": enabled, "form": form}
    if enabled:
        context["codes_left"] = twostep.recovery_codes_left(user)
        if request.method == "POST" and form.is_valid():
            if twostep.verify(user, form.cleaned_data["code"]):
                twostep.disable(user)
                messages.success(request, "Two-step sign-in is off.")
                return redirect("two-step")
            form.add_error("code", "That code isn't right.")
        return render(
            request, "merchants/two_step.html", context, status=400 if form.errors else 200
        )
    # The new key travels signed in the form (it is on the page anyway), never stored until
    # a right code proves the app has it.
    try:
        secret = signing.loads(request.POST.get("setup", ""), salt=SETUP_SALT, max_age=900)
    except signing.BadSignature:
        secret = twostep.new_secret()
        if request.method == "POST":
            form.add_error(None, "The set-up expired: scan the new key below.")
    if request.method == "POST" and form.is_valid():
        codes = twostep.enable(user, secret, form.cleaned_data["code"])
        if codes is not None:
            return render(request, "merchants/two_step_codes.html", {"codes": codes})
        form.add_error("code", "That code isn't right. Check the time on your phone.")
    context.update(
        secret=secret,
        uri=twostep.provisioning_uri(secret, user.email),
        setup=signing.dumps(secret, salt=SETUP_SALT),
    )
    return render(request, "merchants/two_step.html", context, status=400 if form.errors else 200)
