"""Two-step sign-in pages: the code after the password, and the person's own set-up (an
authenticator app, a mobile number for text messages, or both)."""

from __future__ import annotations

import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from merchants import limits, sms, twostep
from merchants.redirects import back_to
from merchants.tenancy import SignedInRequest, account_view, public_view

PENDING = "shipdesk_two_step_pending"
SETUP_SALT = "shipdesk.two-step-setup"
SMS_SETUP_SALT = "shipdesk.two-step-sms-setup"
# When a code was last texted to a signed-in person (to turn two-step sign-in off).
TEXTED = "shipdesk_two_step_texted"

LOCKED_OUT = "Too many wrong codes. Wait 15 minutes, then sign in again."
OUTCOME_ERRORS = {
    twostep.Outcome.WRONG: "That code isn't right, or was already used. Try the next one.",
    twostep.Outcome.EXPIRED: "That texted code has expired or was already used. Text a new one.",
    twostep.Outcome.TOO_MANY: "Too many tries for that texted code. Text a new one.",
}


OFF_ID = "off_%s"  # the turn-off form shares the page with the app's set-up form
OFF_ERRORS = {
    twostep.Outcome.WRONG: "That code isn't right.",
    twostep.Outcome.EXPIRED: "That texted code has expired or was already used. Text a new one.",
    twostep.Outcome.TOO_MANY: "Too many tries for that texted code. Text a new one.",
}


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text="The 6 digits your authenticator app shows or we texted, or a recovery code.",
    )


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label="Mobile number",
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text="US numbers as you dial them; other countries with + and the country code.",
    )


def _text(request: HttpRequest, user) -> str | None:
    """Text a sign-in code to ``user``'s number within the send limits; returns an error for the
    page, or None when it went out (and says so)."""
    phone = twostep.sms_phone(user)
    if not phone or not sms.available():
        return "Text messages are not available for your sign-in."
    if not limits.two_step_sms_allowed(request, user.pk, phone):
        return "We've texted you several codes this hour. Use the last one, or try again later."
    try:
        masked = twostep.send_text(user)
    except sms.SmsError as exc:
        return exc.message
    messages.info(request, f"We texted a code to {masked}. It works for 10 minutes.")
    return None


def _console_code(user) -> str | None:
    """Development only: the texted code, shown in a marked banner (the console back-end)."""
    if settings.TWO_STEP_SMS_BACKEND != "console":
        return None
    phone = twostep.sms_phone(user)
    return sms.ConsoleSms.last_code(phone) if phone else None


def start(request: HttpRequest, user, next_url: str) -> HttpResponse:
    """After the right password: remember who is half signed in and ask for the code. Someone
    with only text messages set up gets the text now, without another click."""
    request.session.cycle_key()
    pending = {
        "user": user.pk,
        "backend": getattr(user, "backend", "merchants.auth.EmailBackend"),
        "next": next_url,
        "at": time.time(),
        "texted": False,
    }
    if not twostep.has_app(user) and twostep.sms_phone(user):
        error = _text(request, user)
        if error:
            messages.error(request, error)
        pending["texted"] = error is None
    request.session[PENDING] = pending
    return redirect("two-step-code")


def _pending_user(request: HttpRequest):
    pending = request.session.get(PENDING)
    if not pending:
        return None, None
    if time.time() - pending["at"] > settings.TWO_STEP_PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None, None
    return get_user_model().objects.filter(pk=pending["user"], is_active=True).first(), pending


def _code_page(request: HttpRequest, user, pending: dict, form: CodeForm, status: int = 200):
    phone = twostep.sms_phone(user) if sms.available() else ""
    context = {
        "form": form,
        "has_app": twostep.has_app(user),
        "sms_phone": sms.mask(phone) if phone else "",
        "texted": pending.get("texted", False),
        "console_code": _console_code(user) if pending.get("texted") else None,
    }
    return render(request, "merchants/two_step_code.html", context, status=status)


@public_view
def code(request: HttpRequest) -> HttpResponse:
    user, pending = _pending_user(request)
    if user is None:
        messages.info(request, "Sign in again: the time to enter your code ran out.")
        return redirect("login")
    if request.method == "POST" and request.POST.get("action") == "text":
        error = _text(request, user)
        if error:
            messages.error(request, error)
        else:
            pending["texted"] = True
            request.session[PENDING] = pending
        return redirect("two-step-code")
    form = CodeForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return _code_page(request, user, pending, form)
    if limits.two_step_locked(request, user.pk):
        request.session.pop(PENDING, None)
        form.add_error(None, LOCKED_OUT)
        return _code_page(request, user, pending, form, status=429)
    try:
        outcome = twostep.check(user, form.cleaned_data["code"], texted=pending.get("texted"))
    except sms.SmsError as exc:  # Twilio was not reached: the code was not judged
        form.add_error(None, exc.message)
        return _code_page(request, user, pending, form, status=503)
    if outcome != twostep.Outcome.OK:
        limits.record_two_step_failure(request, user.pk)
        form.add_error("code", OUTCOME_ERRORS[outcome])
        return _code_page(request, user, pending, form, status=400)
    request.session.pop(PENDING, None)
    login(request, user, backend=pending["backend"])
    return back_to(request, pending["next"], "home")


def _settings_page(
    request: SignedInRequest,
    *,
    app_form: CodeForm | None = None,
    off_form: CodeForm | None = None,
    secret: str | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    profile = twostep.profile_of(user)
    has_app = bool(profile and profile.totp_enabled_at)
    phone = profile.sms_phone if profile and profile.sms_enabled_at else ""
    texted = bool(request.session.get(TEXTED))
    context = {
        "enabled": twostep.is_enabled(user),
        "has_app": has_app,
        "sms_phone": sms.mask(phone) if phone else "",
        "sms_available": sms.available(),
        "codes_left": twostep.recovery_codes_left(user),
        "texted": texted,
        "console_code": _console_code(user) if texted else None,
        "off_form": off_form or CodeForm(auto_id=OFF_ID),
    }
    if not has_app:
        # The new key travels signed in the form (it is on the page anyway), never stored
        # until a right code proves the app has it.
        secret = secret or twostep.new_secret()
        context.update(
            app_form=app_form or CodeForm(),
            secret=secret,
            uri=twostep.provisioning_uri(secret, user.email),
            setup=signing.dumps(secret, salt=SETUP_SALT),
        )
    return render(request, "merchants/two_step.html", context, status=status)


def _codes_shown(request: SignedInRequest, codes: list[str], method: str) -> HttpResponse:
    if codes:
        return render(request, "merchants/two_step_codes.html", {"codes": codes})
    messages.success(request, f"Two-step sign-in now also works with {method}.")
    return redirect("two-step")


@account_view
def settings_page(request: SignedInRequest) -> HttpResponse:
    """Turn on an authenticator app (scan, then type a code), or turn two-step sign-in off
    (with a current code from the app, a text or a recovery code)."""
    user = request.user
    if request.method != "POST":
        return _settings_page(request)
    enabled = twostep.is_enabled(user)
    if request.POST.get("action") == "text" and enabled:
        error = _text(request, user)
        if error:
            messages.error(request, error)
        else:
            request.session[TEXTED] = time.time()
        return redirect("two-step")
    if "setup" in request.POST and not twostep.has_app(user):
        return _app_setup(request)
    if enabled:
        return _turn_off(request)
    return _settings_page(request)


def _app_setup(request: SignedInRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    try:
        secret = signing.loads(request.POST.get("setup", ""), salt=SETUP_SALT, max_age=900)
    except signing.BadSignature:
        form.is_valid()
        form.add_error(None, "The set-up expired: scan the new key below.")
        return _settings_page(request, app_form=form, status=400)
    if form.is_valid():
        codes = twostep.enable(request.user, secret, form.cleaned_data["code"])
        if codes is not None:
            return _codes_shown(request, codes, "an authenticator app")
        form.add_error("code", "That code isn't right. Check the time on your phone.")
    return _settings_page(request, app_form=form, secret=secret, status=400)


def _turn_off(request: SignedInRequest) -> HttpResponse:
    user = request.user
    form = CodeForm(request.POST, auto_id=OFF_ID)
    status = 400
    if form.is_valid():
        if limits.two_step_locked(request, user.pk):
            form.add_error(None, LOCKED_OUT)
            status = 429
        else:
            texted = bool(request.session.get(TEXTED))
            try:
                outcome = twostep.check(user, form.cleaned_data["code"], texted=texted)
            except sms.SmsError as exc:
                outcome = None
                form.add_error(None, exc.message)
                status = 503
            if outcome == twostep.Outcome.OK:
                twostep.disable(user)
                request.session.pop(TEXTED, None)
                messages.success(request, "Two-step sign-in is off.")
                return redirect("two-step")
            if outcome is not None:
                limits.record_two_step_failure(request, user.pk)
                form.add_error("code", OFF_ERRORS[outcome])
    return _settings_page(request, off_form=form, status=status)


@account_view
def sms_setup(request: SignedInRequest) -> HttpResponse:
    """Set up text messages: type a mobile number, get a code there, type it back."""
    user = request.user
    if not sms.available():
        messages.error(request, "Text messages are not available here: use an authenticator app.")
        return redirect("two-step")
    if twostep.sms_phone(user):
        messages.info(request, "Text messages are on. To change the number, turn two-step off.")
        return redirect("two-step")
    action = request.POST.get("action", "")
    if request.method == "POST" and action == "confirm":
        return _sms_confirm(request)
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            phone = sms.normalise(form.cleaned_data["phone"])
        except sms.SmsError as exc:
            form.add_error("phone", exc.message)
        else:
            if not limits.two_step_sms_allowed(request, user.pk, phone):
                form.add_error(None, "We've texted several codes this hour. Try again later.")
            else:
                try:
                    sms.get_backend().send(phone)
                except sms.SmsError as exc:
                    form.add_error(None, exc.message)
                else:
                    return _sms_code_page(request, phone, CodeForm())
    status = 400 if form.errors else 200
    return render(request, "merchants/two_step_sms.html", {"phone_form": form}, status=status)


def _sms_code_page(
    request: SignedInRequest, phone: str, form: CodeForm, status: int = 200
) -> HttpResponse:
    console = settings.TWO_STEP_SMS_BACKEND == "console"
    context = {
        "code_form": form,
        "phone": sms.mask(phone),
        # The number travels signed (the person typed it, so it is no secret from them): it is
        # stored only once a right code proves it gets the texts.
        "setup": signing.dumps(phone, salt=SMS_SETUP_SALT),
        "console_code": sms.ConsoleSms.last_code(phone) if console else None,
    }
    return render(request, "merchants/two_step_sms.html", context, status=status)


def _sms_confirm(request: SignedInRequest) -> HttpResponse:
    user = request.user
    try:
        phone = signing.loads(
            request.POST.get("setup", ""), salt=SMS_SETUP_SALT, max_age=sms.CODE_LIFETIME_SECONDS
        )
    except signing.BadSignature:
        messages.error(request, "That code has expired. Type your number again.")
        return redirect("two-step-sms")
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _sms_code_page(request, phone, form, status=400)
    if limits.two_step_locked(request, user.pk):
        form.add_error(None, "Too many wrong codes. Wait 15 minutes, then try again.")
        return _sms_code_page(request, phone, form, status=429)
    digits = form.cleaned_data["code"].replace(" ", "").replace("-", "")
    try:
        result = sms.get_backend().check(phone, digits) if digits.isdigit() else sms.Check.WRONG
    except sms.SmsError as exc:
        form.add_error(None, exc.message)
        return _sms_code_page(request, phone, form, status=503)
    if result != sms.Check.APPROVED:
        # The same count as at sign-in: guessing here is guessing there.
        limits.record_two_step_failure(request, user.pk)
        errors = {
            sms.Check.WRONG: "That code isn't right. Check the text message.",
            sms.Check.EXPIRED: "That code has expired. Type your number again for a new one.",
            sms.Check.TOO_MANY: "Too many tries for that code. Type your number again.",
        }
        form.add_error("code", errors[result])
        return _sms_code_page(request, phone, form, status=400)
    codes = twostep.enable_sms(user, phone)
    return _codes_shown(request, codes, "text messages")
