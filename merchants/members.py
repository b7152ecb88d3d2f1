"""A store's team: invitations, roles, removal and ownership, each checked against the role
table (merchants.permissions) of the person acting.

An invitation carries its sender's authority: it can be accepted only while the member who
sent it may still hand out its role. Removing a member, or changing their role to one that
may not, withdraws their open invitations at once (logged with who made the change); the
acceptance checks again, for a sender who left another way (their login deleted, an edit in
the admin), and the invitee reads why the link stopped working."""

from __future__ import annotations

from dataclasses import dataclass

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
from merchants.permissions import Perm, Role, require, role_allows

SALT = "shipdesk.merchants.invitation"


class TeamError(Exception):
    """A team change that cannot be made, in the merchant's words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvitationWithdrawn(TeamError):
    """The member who sent the invitation may no longer hand out its role."""

    def __init__(self, invitation: Invitation):
        super().__init__(
            f"This invitation to {invitation.merchant} was withdrawn: the person who sent it "
            "can no longer invite people there. Ask the store's owner or an admin to invite "
            "you again."
        )
        self.invitation = invitation


# Ownership is transferred, never given by an invitation.
GRANTABLE = frozenset({Role.ADMIN, Role.SHIPPER, Role.VIEWER})


def may_grant(role: str | None, invited_role: str) -> bool:
    """Whether a member with ``role`` (None: not a member) may invite someone as
    ``invited_role``: checked when the invitation is sent, and again until it is accepted."""
    return invited_role in GRANTABLE and role_allows(role, Perm.MEMBERS)


def _assignable(by, merchant: Merchant, role: str) -> None:
    if role not in GRANTABLE:
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


def _linked(token: str) -> Invitation | None:
    """The invitation a genuine, unexpired link of its latest send points at, open or not."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.INVITATION_TIMEOUT)
    except signing.BadSignature:
        return None
    invitation = (
        Invitation.objects.select_related("merchant", "invited_by").filter(pk=data.get("i")).first()
    )
    if invitation is None or invitation.sends != data.get("n"):
        return None
    if invitation.merchant.deleted_at is not None:
        return None
    return invitation


@dataclass(frozen=True)
class FollowedLink:
    """Where an invitation link leads: its invitation while it is open, or the one ShipDesk
    withdrew because its sender may no longer invite with its role (the invitee is told why);
    neither for a link that is forged, expired, superseded, used or revoked."""

    open: Invitation | None = None
    withdrawn: Invitation | None = None


def follow_link(token: str) -> FollowedLink:
    """One look-up of the invitation behind a link. An open invitation whose sender lost the
    right to grant its role is withdrawn here, if that comes to light only now."""
    invitation = _linked(token)
    if invitation is None or invitation.accepted_at is not None:
        return FollowedLink()
    if invitation.is_open and not sender_may_still_grant(invitation):
        withdraw(invitation)
        invitation.refresh_from_db()
    if invitation.revoked_because == Invitation.SENDER_LOST_RIGHT:
        return FollowedLink(withdrawn=invitation)
    return FollowedLink(open=invitation if invitation.is_open else None)


def sender_may_still_grant(invitation: Invitation) -> bool:
    """An invitation whose sender's login was deleted has nobody vouching for it any more."""
    role = (
        Membership.objects.filter(
            merchant_id=invitation.merchant_id, user_id=invitation.invited_by_id
        )
        .values_list("role", flat=True)
        .first()
        if invitation.invited_by_id is not None
        else None
    )
    return may_grant(role, invitation.role)


def _withdraw(invitations: list[Invitation], by, why: str) -> list[Invitation]:
    for invitation in invitations:
        invitation.revoked_at = timezone.now()
        invitation.revoked_because = Invitation.SENDER_LOST_RIGHT
        invitation.save(update_fields=["revoked_at", "revoked_because"])
        events.record(
            invitation.merchant,
            by,
            events.Action.INVITE_REVOKED,
            subject=invitation.email,
            detail=why,
        )
    return invitations


def _withdraw_sent_by(membership: Membership, by, role: str | None) -> list[Invitation]:
    """The open invitations ``membership``'s person sent that ``role`` (None: removed) may no
    longer hand out, withdrawn in the transaction that changed the role."""
    sent = membership.merchant.invitations.select_for_update().filter(
        invited_by=membership.user, accepted_at=None, revoked_at=None
    )
    lapsed = [invitation for invitation in sent if not may_grant(role, invitation.role)]
    sender = membership.user.email
    now = "who was removed" if role is None else f"now {Role(role).label.lower()}"
    return _withdraw(lapsed, by, f"sent by {sender}, {now}")


@transaction.atomic
def withdraw(invitation: Invitation) -> None:
    """ShipDesk withdraws an open invitation whose sender may no longer grant its role."""
    invitation = (
        # of=("self",): PostgreSQL locks no row of a nullable outer join (the sender).
        Invitation.objects.select_for_update(of=("self",))
        .select_related("invited_by")
        .get(pk=invitation.pk)
    )
    if not invitation.is_open or sender_may_still_grant(invitation):
        return
    sender = invitation.invited_by
    why = (
        f"sent by {sender.email}, who may no longer invite"
        if sender is not None
        else "its sender's login was deleted"
    )
    _withdraw([invitation], None, why)


@transaction.atomic
def accept(invitation: Invitation, user) -> Membership:
    """The invited person joins. Opening the e-mailed link proves they read the address."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise TeamError("This invitation was already used or revoked.")
    if user.email.lower() != invitation.email:
        raise TeamError(f"This invitation is for {invitation.email}. Sign in with that e-mail.")
    if not sender_may_still_grant(invitation):
        raise InvitationWithdrawn(invitation)  # the caller withdraws it: members.withdraw
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
def change_role(membership: Membership, by, role: str) -> list[Invitation]:
    """Returns the open invitations the member sent that the new role may not hand out: they
    were withdrawn."""
    _not_the_owner(membership)
    _assignable(by, membership.merchant, role)
    if membership.role == role:
        return []
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
    return _withdraw_sent_by(membership, by, role)


@transaction.atomic
def remove(membership: Membership, by) -> list[Invitation]:
    """Returns the member's open invitations: they were withdrawn with them."""
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
    return _withdraw_sent_by(membership, by, None)


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
