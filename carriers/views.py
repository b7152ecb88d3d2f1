from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from carriers import services, verification
from carriers.forms import (
    CodeForm,
    ConnectChoiceForm,
    ExistingAccountForm,
    NewAccountForm,
    PhoneForm,
    UpdatePasswordForm,
)
from carriers.models import CarrierAccount
from carriers.stamps.errors import AuthenticationFailed, StampsError
from merchants.errors import MerchantError
from merchants.permissions import Perm
from merchants.tenancy import MerchantRequest, get_owned_or_404, merchant_view, owned

# What can go wrong while connecting: a Stamps.com answer, a verification limit, or a
# rule of ours. Each carries its own words for the merchant.
CONNECT_ERRORS = (StampsError, verification.VerificationError, services.CarrierAccountError)


def explain(exc: StampsError | MerchantError) -> str:
    return exc.merchant_message if isinstance(exc, StampsError) else exc.message


def _live_accounts(request: MerchantRequest):
    return owned(request, CarrierAccount.objects.connected())


@merchant_view(Perm.CARRIERS_VIEW)
def account_list(request: MerchantRequest) -> HttpResponse:
    accounts = list(_live_accounts(request).select_related("connected_by"))
    history = (
        owned(request, CarrierAccount)
        .filter(disconnected_at__isnull=False)
        .select_related("connected_by", "disconnected_by")
    )
    return render(
        request,
        "carriers/account_list.html",
        {
            "accounts": accounts,
            "disconnected": history,
            "has_free": any(a.plan == "pro" for a in accounts),
        },
    )


@merchant_view(Perm.CONNECT_CARRIER)
def connect(request: MerchantRequest) -> HttpResponse:
    form = ConnectChoiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        name = (
            "carriers:connect-new"
            if form.cleaned_data["choice"] == "new"
            else "carriers:connect-existing"
        )
        return redirect(name)
    return render(request, "carriers/connect_choice.html", {"form": form})


@merchant_view(Perm.CONNECT_CARRIER)
def connect_existing(request: MerchantRequest) -> HttpResponse:
    form = ExistingAccountForm(request.POST or None, merchant=request.merchant)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.connect_existing(
                request.merchant, **form.cleaned_data, by=request.user
            )
        except AuthenticationFailed as exc:
            form.add_error(None, exc.when_connecting)
        except StampsError as exc:
            form.add_error(None, exc.merchant_message)
        else:
            if account.status == CarrierAccount.Status.AWAITING_VERIFICATION:
                # R42: Stamps.com has not verified this account's phone yet: do that first.
                messages.info(
                    request,
                    f"Connected “{account.nickname}”. Stamps.com still needs to verify your "
                    "phone number before you can add funds or buy labels: send a code below.",
                )
                return redirect("carriers:verify", pk=account.pk)
            messages.success(
                request, f"Connected “{account.nickname}”. You can add funds and start shipping."
            )
            return redirect("carriers:list")
    return render(request, "carriers/connect_existing.html", {"form": form})


@merchant_view(Perm.CONNECT_CARRIER)
def connect_new(request: MerchantRequest) -> HttpResponse:
    form = NewAccountForm(request.POST or None, merchant=request.merchant)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.register_new(request.merchant, form.cleaned_data, by=request.user)
        except CONNECT_ERRORS as exc:
            form.add_error(None, explain(exc))
        else:
            messages.success(
                request,
                "Your free Stamps.com account is created. Verify your phone to start shipping.",
            )
            return redirect("carriers:verify", pk=account.pk)
    return render(request, "carriers/connect_new.html", {"form": form})


def _verify_context(request: MerchantRequest, account: CarrierAccount, **extra) -> dict:
    latest = verification.current_verification(account)
    context = {
        "account": account,
        "latest": latest,
        "phone_form": PhoneForm(initial={"phone": _national(account.phone_number)}),
        "code_form": CodeForm(),
        "resend_in": verification.seconds_until_resend(account),
        "security_phone": verification.SECURITY_SUPPORT_PHONE,
        # Development only: the console back-end shows the code so a demo needs no phone.
        "dev_code": (
            latest.console_code
            if latest and latest.backend == "console" and settings.SMS_BACKEND == "console"
            else None
        ),
    }
    context.update(extra)
    return context


def _national(e164: str) -> str:
    if not e164:
        return ""
    try:
        return verification.parse_phone(e164).national
    except verification.VerificationError:
        return e164


@merchant_view(Perm.CARRIERS)
def verify(request: MerchantRequest, pk: int) -> HttpResponse:
    account = get_owned_or_404(request, _live_accounts(request), pk=pk)
    if account.status != CarrierAccount.Status.AWAITING_VERIFICATION:
        messages.info(request, f"“{account.nickname}” is already verified.")
        return redirect("carriers:list")
    extra: dict = {}
    if request.method == "POST" and "phone" in request.POST:
        phone_form = PhoneForm(request.POST)
        extra["phone_form"] = phone_form
        if phone_form.is_valid():
            try:
                sent = services.send_verification_code(account, phone_form.cleaned_data["phone"])
            except CONNECT_ERRORS as exc:
                phone_form.add_error("phone", explain(exc))
            else:
                messages.success(
                    request, f"We texted a 6-digit code to {_national(sent.phone_number)}."
                )
                return redirect("carriers:verify", pk=account.pk)
    elif request.method == "POST":
        code_form = CodeForm(request.POST)
        extra["code_form"] = code_form
        if code_form.is_valid():
            try:
                services.verify_account(account, code_form.cleaned_data["code"].strip())
            except CONNECT_ERRORS as exc:
                code_form.add_error("code", explain(exc))
            else:
                messages.success(
                    request, f"“{account.nickname}” is verified. Add funds to start shipping."
                )
                return redirect("carriers:list")
    return render(request, "carriers/verify.html", _verify_context(request, account, **extra))


@merchant_view(Perm.CARRIERS)
def update_password(request: MerchantRequest, pk: int) -> HttpResponse:
    account = get_owned_or_404(request, _live_accounts(request), pk=pk)
    form = UpdatePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_password(account, form.cleaned_data["password"])
        except AuthenticationFailed as exc:
            form.add_error("password", exc.when_updating)
        except StampsError as exc:
            form.add_error("password", exc.merchant_message)
        else:
            messages.success(request, f"Password updated. “{account.nickname}” is working again.")
            return redirect("carriers:list")
    return render(request, "carriers/update_password.html", {"account": account, "form": form})


@merchant_view(Perm.CARRIERS)
def settings_popup(request: MerchantRequest, pk: int) -> HttpResponse:
    """R9: the Stamps.com Settings pop-up (an htmx modal; a plain page without htmx)."""
    account = get_owned_or_404(request, _live_accounts(request), pk=pk)
    template = "carriers/settings_popup.html"
    if request.htmx:
        template += "#modal"
    return render(request, template, {"account": account})


@merchant_view(Perm.CARRIERS)
def open_carrier_page(request: MerchantRequest, pk: int, url_type: str) -> HttpResponse:
    account = get_owned_or_404(request, _live_accounts(request), pk=pk)
    try:
        url = services.carrier_page_url(account, url_type)
    except CONNECT_ERRORS as exc:
        messages.error(request, explain(exc))
        return redirect("carriers:list")
    return redirect(url)


@merchant_view(Perm.CARRIERS)
@require_POST
def make_default(request: MerchantRequest, pk: int) -> HttpResponse:
    account = get_owned_or_404(request, _live_accounts(request), pk=pk)
    services.make_default(account)
    messages.success(request, f"“{account.nickname}” is now your default carrier account.")
    return redirect("carriers:list")


@merchant_view(Perm.CARRIERS)
@require_POST
def disconnect(request: MerchantRequest, pk: int) -> HttpResponse:
    account = get_owned_or_404(request, _live_accounts(request), pk=pk)
    services.disconnect(account, request.user)
    messages.success(
        request, f"“{account.nickname}” is disconnected. Its labels and history are kept."
    )
    return redirect(reverse("carriers:list"))
