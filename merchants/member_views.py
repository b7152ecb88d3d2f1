"""Settings > Members: the team of the store, invitations and the invitation link."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login, logout, password_validation
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from merchants import events, members, twostep
from merchants.models import Invitation, Membership
from merchants.permissions import ROLE_HELP, Perm, Role
from merchants.tenancy import (
    MerchantRequest,
    ShipDeskRequest,
    merchant_view,
    public_view,
    switch_merchant,
)

ASSIGNABLE = [(r.value, r.label) for r in (Role.ADMIN, Role.SHIPPER, Role.VIEWER)]


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail")
    role = forms.ChoiceField(choices=ASSIGNABLE, initial=Role.SHIPPER)


class JoinForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )


def _send(request: MerchantRequest, invitation: Invitation) -> None:
    token = members.mark_sent(invitation, request.user)
    link = request.build_absolute_uri(reverse("accept-invitation", args=[token]))
    members.send_invitation(invitation, link)


def _page(request: MerchantRequest, form: InviteForm, status: int = 200) -> HttpResponse:
    merchant = request.merchant
    context = {
        "form": form,
        "memberships": merchant.memberships.select_related("user").order_by("created_at"),
        "invitations": merchant.invitations.filter(accepted_at=None, revoked_at=None),
        "assignable": ASSIGNABLE,
        "role_help": [(Role(r).label, text) for r, text in ROLE_HELP.items()],
        "can_manage": request.role in {Role.OWNER, Role.ADMIN},
        "is_owner": request.role == Role.OWNER,
        "two_step_missing": list(
            merchant.memberships.exclude(
                Q(user__shipdesk_profile__totp_enabled_at__isnull=False)
                | Q(user__shipdesk_profile__sms_enabled_at__isnull=False)
            ).values_list("user__email", flat=True)
        )
        if merchant.require_two_step
        else [],
        # Who changed what: for those who manage the team, never for a shipper or viewer.
        "events": events.recent(merchant) if request.role in {Role.OWNER, Role.ADMIN} else [],
    }
    return render(request, "merchants/members.html", context, status=status)


@merchant_view(Perm.MEMBERS, read=Perm.VIEW)
def members_page(request: MerchantRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = members.invite(
                request.merchant,
                request.user,
                form.cleaned_data["email"],
                form.cleaned_data["role"],
            )
        except members.TeamError as exc:
            form.add_error(None, exc.message)
        else:
            _send(request, invitation)
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("members:list")
    status = 400 if request.method == "POST" else 200
    return _page(request, form, status)


def _invitation(request: MerchantRequest, pk: int) -> Invitation:
    return get_object_or_404(request.merchant.invitations, pk=pk)


def _membership(request: MerchantRequest, pk: int) -> Membership:
    return get_object_or_404(request.merchant.memberships.select_related("user"), pk=pk)


def _done(request: MerchantRequest, action, success: str) -> HttpResponse:
    try:
        withdrawn = action()
    except members.TeamError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
        if withdrawn:  # a role change or removal took the member's open invitations with it
            emails = ", ".join(invitation.email for invitation in withdrawn)
            messages.info(request, f"Their open invitations no longer work: {emails}.")
    return redirect("members:list")


@merchant_view(Perm.MEMBERS)
@require_POST
def invitation_resend(request: MerchantRequest, pk: int) -> HttpResponse:
    invitation = _invitation(request, pk)
    return _done(request, lambda: _send(request, invitation), f"Sent again to {invitation.email}.")


@merchant_view(Perm.MEMBERS)
@require_POST
def invitation_revoke(request: MerchantRequest, pk: int) -> HttpResponse:
    invitation = _invitation(request, pk)
    return _done(
        request,
        lambda: members.revoke(invitation, request.user),
        f"The invitation to {invitation.email} no longer works.",
    )


@merchant_view(Perm.MEMBERS)
@require_POST
def member_role(request: MerchantRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    role = request.POST.get("role", "")
    return _done(
        request,
        lambda: members.change_role(membership, request.user, role),
        f"{membership.user.email} is now {role}.",
    )


@merchant_view(Perm.MEMBERS)
@require_POST
def member_remove(request: MerchantRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    return _done(
        request,
        lambda: members.remove(membership, request.user),
        f"{membership.user.email} was removed from {request.merchant}.",
    )


@merchant_view(Perm.OWN)
@require_POST
def transfer_ownership(request: MerchantRequest, pk: int) -> HttpResponse:
    membership = _membership(request, pk)
    return _done(
        request,
        lambda: members.transfer_ownership(request.merchant, request.user, membership),
        f"{membership.user.email} now owns {request.merchant}; you stay on as an admin.",
    )


@public_view
def accept_invitation(request: ShipDeskRequest, token: str) -> HttpResponse:
    """The e-mailed link: join as the signed-in user, sign in first, or set a password."""
    from django.contrib.auth import get_user_model

    followed = members.follow_link(token)
    if followed.withdrawn is not None:
        return _withdrawn(request, followed.withdrawn)
    invitation = followed.open
    if invitation is None:
        return render(request, "merchants/invitation_invalid.html", status=400)
    context: dict = {"invitation": invitation}
    user = request.user
    existing = get_user_model().objects.filter(email__iexact=invitation.email).first()
    if user.is_authenticated and user.email.lower() != invitation.email:
        if request.method == "POST" and request.POST.get("action") == "sign-out":
            logout(request)
            return redirect(request.get_full_path())
        return render(request, "merchants/invitation_accept.html", {**context, "wrong_user": True})
    if not user.is_authenticated and existing is not None:
        context["sign_in_first"] = f"{reverse('login')}?next={request.path}"
        return render(request, "merchants/invitation_accept.html", context)
    form = JoinForm(request.POST or None) if not user.is_authenticated else None
    if request.method == "POST" and (form is None or form.is_valid()):
        if form is not None:
            password = form.cleaned_data["password"]
            candidate = get_user_model()(username=invitation.email, email=invitation.email)
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as exc:
                form.add_error("password", exc)
        if form is None or not form.errors:
            try:
                # A new login is made only together with its membership.
                with transaction.atomic():
                    new_user = (
                        members.create_invited_user(invitation, form.cleaned_data["password"])
                        if form is not None
                        else None
                    )
                    membership = members.accept(invitation, new_user or user)
            except members.InvitationWithdrawn:
                members.withdraw(invitation)
                return _withdrawn(request, invitation)
            except members.TeamError as exc:
                messages.error(request, exc.message)
            else:
                if new_user is not None:
                    login(request, new_user, backend="merchants.auth.EmailBackend")
                switch_merchant(request, membership.merchant)
                messages.success(request, f"Welcome to {membership.merchant}.")
                return redirect("home")
    context["form"] = form
    return render(request, "merchants/invitation_accept.html", context)


def _withdrawn(request: ShipDeskRequest, invitation: Invitation) -> HttpResponse:
    """410: the link was real, but whoever sent it may no longer invite with its role."""
    return render(
        request, "merchants/invitation_withdrawn.html", {"invitation": invitation}, status=410
    )


@merchant_view(Perm.OWN)
@require_POST
def require_two_step(request: MerchantRequest) -> HttpResponse:
    """The owner asks every member to use two-step sign-in (themselves first)."""
    wanted = request.POST.get("require") == "on"
    if wanted and not twostep.is_enabled(request.user):
        messages.error(request, "Turn on two-step sign-in for yourself first.")
        return redirect("members:list")
    members.require_two_step(request.merchant, request.user, wanted)
    state = "must now use" if wanted else "no longer need"
    messages.success(request, f"Members of {request.merchant} {state} two-step sign-in.")
    return redirect("members:list")
