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
            return Invitation.objects.create(
                merchant=merchant, email=email, role=role, invited_by=by
            )
    except IntegrityError:
        raise TeamError(f"{email} already has an open invitation: resend it instead.") from None


def token_for(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.sends}, salt=SALT, compress=True)


def mark_sent(invitation: Invitation, by) -> str:
    """Counts a (re)send and returns the token for the new link; earlier links stop working."""
    require(by, invitation.merchant, Perm.MEMBERS)
    if not invitation.is_open:
        raise TeamError("That invitation was already accepted or revoked.")
    invitation.sends += 1
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["sends", "sent_at"])
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
    return membership


def create_invited_user(invitation: Invitation, password: str):
    User = get_user_model()
    return User.objects.create_user(
        username=invitation.email, email=invitation.email, password=password
    )


def revoke(invitation: Invitation, by) -> None:
    require(by, invitation.merchant, Perm.MEMBERS)
    if invitation.is_open:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])


def _not_the_owner(membership: Membership) -> None:
    if membership.role == Role.OWNER:
        raise TeamError("The owner can't be changed or removed. Transfer ownership first.")


def change_role(membership: Membership, by, role: str) -> None:
    _not_the_owner(membership)
    _assignable(by, membership.merchant, role)
    membership.role = role
    membership.save(update_fields=["role"])


def remove(membership: Membership, by) -> None:
    _not_the_owner(membership)
    require(by, membership.merchant, Perm.MEMBERS)
    membership.delete()


@transaction.atomic
def transfer_ownership(merchant: Merchant, by, to: Membership) -> None:
    """The new owner gets everything; the old one stays on as an admin."""
    require(by, merchant, Perm.OWN)
    if to.merchant_id != merchant.pk or to.role == Role.OWNER:
        raise TeamError("Choose another member of this store.")
    merchant.memberships.filter(role=Role.OWNER).update(role=Role.ADMIN)
    to.role = Role.OWNER
    to.save(update_fields=["role"])
