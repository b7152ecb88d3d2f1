"""A store's team: invitations, roles, removal and ownership, each checked against the role
table (merchants.permissions) of the person acting."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from merchants import events
from merchants.confirmation import mark_confirmed
from merchants.models import Invitation, Membership, Merchant
from merchants.permissions import Perm, Role, require

SALT = "shipdesk.merchants.invitation"


class TeamError(Exception):
    """A team change that cannot be made, in the merchant's words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _assignable(by, merchant: Merchant, role: str) -> None:
    if role not in {Role.ADMIN, Role.SHIPPER, Role.VIEWER}:
        raise TeamError("Choose admin, shipper or viewer. Ownership is transferred, not given.")
    require(by, merchant, Perm.MEMBERS)


def invite(merchant: Merchant, by, email: str, role: str) -> Invitation:
    email = email.strip().lower()
    _assignable(by, merchant, role)
    if merchant.memberships.filter(user__email__iexact=email).exists():
        raise TeamError(f"{email} is already a member of {merchant}.")
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                merchant=merchant, email=email, role=role, invited_by=by
            )
            events.record(merchant, by, events.Action.INVITED, subject=email, detail=role)
            return invitation
    except IntegrityError:
        raise TeamError(f"{email} already has an open invitation: resend it instead.") from None


def token_for(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.sends}, salt=SALT, compress=True)


def mark_sent(invitation: Invitation, by) -> str:
    """Counts a (re)send and returns the token for the new link; earlier links stop working."""
    require(by, invitation.merchant, Perm.MEMBERS)
    if not invitation.is_open:
        raise TeamError("That invitation was already accepted or revoked.")
    with transaction.atomic():
        invitation.sends += 1
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["sends", "sent_at"])
        if invitation.sends > 1:  # the first send is the invitation itself
            events.record(
                invitation.merchant, by, events.Action.INVITE_RESENT, subject=invitation.email
            )
    return token_for(invitation)


def send_invitation(invitation: Invitation, link: str) -> None:
    context = {
        "invitation": invitation,
        "link": link,
        "days": settings.INVITATION_TIMEOUT // 86400,
    }
    send_mail(
        f"You're invited to {invitation.merchant} on ShipDesk",
        render_to_string("merchants/invitation_email.txt", context),
        None,
        [invitation.email],
    )


def open_invitation(token: str) -> Invitation | None:
    """The invitation a link points at, if the link is genuine, current and unexpired."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.INVITATION_TIMEOUT)
    except signing.BadSignature:
        return None
    invitation = Invitation.objects.select_related("merchant").filter(pk=data.get("i")).first()
    if invitation is None or not invitation.is_open or invitation.sends != data.get("n"):
        return None
    if invitation.merchant.deleted_at is not None:
        return None
    return invitation


@transaction.atomic
def accept(invitation: Invitation, user) -> Membership:
    """The invited person joins. Opening the e-mailed link proves they read the address."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise TeamError("This invitation was already used or revoked.")
    if user.email.lower() != invitation.email:
        raise TeamError(f"This invitation is for {invitation.email}. Sign in with that e-mail.")
    membership, _ = Membership.objects.get_or_create(
        merchant=invitation.merchant, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    mark_confirmed(user)
    events.record(
        invitation.merchant, user, events.Action.JOINED, subject=user.email, detail=membership.role
    )
    return membership


def create_invited_user(invitation: Invitation, password: str):
    User = get_user_model()
    return User.objects.create_user(
        username=invitation.email, email=invitation.email, password=password
    )


@transaction.atomic
def revoke(invitation: Invitation, by) -> None:
    require(by, invitation.merchant, Perm.MEMBERS)
    if invitation.is_open:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        events.record(
            invitation.merchant, by, events.Action.INVITE_REVOKED, subject=invitation.email
        )


def _not_the_owner(membership: Membership) -> None:
    if membership.role == Role.OWNER:
        raise TeamError("The owner can't be changed or removed. Transfer ownership first.")


@transaction.atomic
def change_role(membership: Membership, by, role: str) -> None:
    _not_the_owner(membership)
    _assignable(by, membership.merchant, role)
    if membership.role == role:
        return
    was = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    events.record(
        membership.merchant,
        by,
        events.Action.ROLE_CHANGED,
        subject=membership.user.email,
        detail=f"{was} → {role}",
    )


@transaction.atomic
def remove(membership: Membership, by) -> None:
    _not_the_owner(membership)
    require(by, membership.merchant, Perm.MEMBERS)
    membership.delete()
    events.record(
        membership.merchant,
        by,
        events.Action.REMOVED,
        subject=membership.user.email,
        detail=membership.role,
    )


@transaction.atomic
def transfer_ownership(merchant: Merchant, by, to: Membership) -> None:
    """The new owner gets everything; the old one stays on as an admin."""
    require(by, merchant, Perm.OWN)
    if to.merchant_id != merchant.pk or to.role == Role.OWNER:
        raise TeamError("Choose another member of this store.")
    merchant.memberships.filter(role=Role.OWNER).update(role=Role.ADMIN)
    to.role = Role.OWNER
    to.save(update_fields=["role"])
    events.record(
        merchant,
        by,
        events.Action.OWNERSHIP,
        subject=to.user.email,
        detail=f"{by.email if by else 'the owner'} stays on as an admin",
    )


@transaction.atomic
def require_two_step(merchant: Merchant, by, wanted: bool) -> None:
    """The owner asks every member to use two-step sign-in (or stops asking)."""
    require(by, merchant, Perm.OWN)
    if merchant.require_two_step == wanted:
        return
    merchant.require_two_step = wanted
    merchant.save(update_fields=["require_two_step"])
    action = events.Action.TWO_STEP_REQUIRED if wanted else events.Action.TWO_STEP_OPTIONAL
    events.record(merchant, by, action)
