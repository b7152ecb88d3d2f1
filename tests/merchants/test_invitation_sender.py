"""An invitation carries its sender's authority: removing the sender, or giving them a role
that may not invite, withdraws their open invitations (logged with who made the change), and a
link whose sender lost that right some other way stops working when it is opened. The invitee
reads why, never a server error."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from merchants.models import Invitation, Membership
from tests.factories import make_member, make_user
from tests.support import activity_table, store_log

pytestmark = pytest.mark.django_db

PASSWORD = "tide-pool-lantern-42"


@pytest.fixture
def sender(merchant):
    return make_member(merchant, "ops@acme.test", role="admin")


def invite(sender, email: str, role: str = "shipper") -> str:
    """``sender`` invites ``email`` from the members page; returns the e-mailed link."""
    client = Client()
    client.force_login(sender)
    client.post(reverse("members:list"), {"email": email, "role": role})
    found = re.search(r"https?://\S+/invitations/\S+/", str(mail.outbox[-1].body))
    assert found is not None and mail.outbox[-1].to == [email]
    return found.group(0)


def membership_of(merchant, user) -> Membership:
    return merchant.memberships.get(user=user)


def test_demoting_the_sender_withdraws_their_invitations_and_the_link_says_why(
    owner_client, merchant, sender
):
    link = invite(sender, "new@acme.test")
    kept = invite(make_member(merchant, "boss@acme.test", role="admin"), "other@acme.test")
    response = owner_client.post(
        reverse("members:role", args=[membership_of(merchant, sender).pk]),
        {"role": "shipper"},
        follow=True,
    )
    assert "Their open invitations no longer work: new@acme.test." in response.text
    assert store_log(merchant)[-2:] == [
        ("owner@acme.test", "role_changed", "ops@acme.test", "admin → shipper"),
        (
            "owner@acme.test",
            "invite_revoked",
            "new@acme.test",
            "sent by ops@acme.test, now shipper",
        ),
    ]
    assert "Revoked the invitation: new@acme.test" in activity_table(owner_client)
    # The invitee reads what happened, and setting a password does not let them in.
    newcomer = Client()
    page = newcomer.get(link)
    assert page.status_code == 410
    assert "This invitation was withdrawn" in page.text
    assert "ops@acme.test invited you to join Acme Outfitters as shipper" in page.text
    assert "Ask the store's owner or an admin to invite you again." in page.text
    assert newcomer.post(link, {"password": PASSWORD}).status_code == 410
    assert not get_user_model().objects.filter(email="new@acme.test").exists()
    # Another admin's invitation is not the demoted member's to lose.
    assert Client().post(kept, {"password": PASSWORD}).status_code == 302
    assert merchant.memberships.filter(user__email="other@acme.test").exists()


def test_removing_the_sender_withdraws_their_invitations(owner_client, merchant, sender):
    link = invite(sender, "new@acme.test", role="viewer")
    owner_client.post(reverse("members:remove", args=[membership_of(merchant, sender).pk]))
    invitation = Invitation.objects.get(email="new@acme.test")
    assert invitation.revoked_at is not None and not invitation.is_open
    assert store_log(merchant)[-1] == (
        "owner@acme.test",
        "invite_revoked",
        "new@acme.test",
        "sent by ops@acme.test, who was removed",
    )
    assert Client().get(link).status_code == 410
    # Their members page no longer lists it as pending.
    page = owner_client.get(reverse("members:list")).text
    assert "Revoke new@acme.test" not in page


def test_a_sender_who_may_still_invite_keeps_their_invitations(owner_client, merchant, owner):
    # The owner hands the store over and stays on as an admin, who may still invite.
    link = invite(owner, "new@acme.test")
    heir = make_member(merchant, "heir@acme.test", role="admin")
    owner_client.post(reverse("members:transfer", args=[membership_of(merchant, heir).pk]))
    assert Invitation.objects.get(email="new@acme.test").is_open
    assert Client().post(link, {"password": PASSWORD}).status_code == 302
    assert merchant.memberships.get(user__email="new@acme.test").role == "shipper"


def test_a_sender_removed_outside_the_team_page_is_caught_when_the_link_is_opened(
    owner_client, merchant, sender
):
    link = invite(sender, "new@acme.test")
    Membership.objects.filter(merchant=merchant, user=sender).delete()  # e.g. in the admin
    response = Client().get(link)
    assert response.status_code == 410
    assert "can no longer invite people there" in response.text
    assert not Invitation.objects.get(email="new@acme.test").is_open
    assert store_log(merchant)[-1] == (
        "",
        "invite_revoked",
        "new@acme.test",
        "sent by ops@acme.test, who may no longer invite",
    )
    assert "ShipDesk" in activity_table(owner_client)


def test_a_sender_demoted_while_the_invitee_fills_in_the_form_lets_nobody_join(merchant, sender):
    link = invite(sender, "new@acme.test", role="admin")
    newcomer = Client()
    assert newcomer.get(link).status_code == 200  # the join form
    Membership.objects.filter(merchant=merchant, user=sender).update(role="viewer")
    response = newcomer.post(link, {"password": PASSWORD})
    assert response.status_code == 410 and "This invitation was withdrawn" in response.text
    # No login left behind without its store, and nobody signed in.
    assert not get_user_model().objects.filter(email="new@acme.test").exists()
    assert not merchant.memberships.filter(user__email="new@acme.test").exists()
    assert "_auth_user_id" not in newcomer.session
    assert store_log(merchant)[-1][1:3] == ("invite_revoked", "new@acme.test")


def test_an_existing_login_cannot_join_through_a_withdrawn_invitation(merchant, sender):
    invitee = make_user("known@acme.test")
    link = invite(sender, "known@acme.test")
    client = Client()
    client.force_login(invitee)
    assert client.get(link).status_code == 200
    merchant.memberships.filter(user=sender).update(role="shipper")
    assert client.post(link).status_code == 410
    assert not merchant.memberships.filter(user=invitee).exists()


def test_an_invitation_whose_senders_login_was_deleted_no_longer_works(merchant, sender):
    link = invite(sender, "new@acme.test")
    sender.delete()
    response = Client().get(link)
    assert response.status_code == 410
    assert "The person who invited you to join Acme Outfitters as shipper has left" in (
        response.text
    )
    assert store_log(merchant)[-1] == (
        "",
        "invite_revoked",
        "new@acme.test",
        "its sender's login was deleted",
    )


def test_an_invitation_revoked_by_hand_still_reads_as_revoked(owner_client, merchant, sender):
    link = invite(sender, "new@acme.test")
    owner_client.post(
        reverse("members:revoke", args=[Invitation.objects.get(email="new@acme.test").pk])
    )
    response = Client().get(link)
    assert response.status_code == 400
    assert "This invitation doesn't work" in response.text
    assert "withdrawn" not in response.text


def test_opening_a_link_reads_its_invitation_once(merchant, sender):
    """The page looks the link up once, open or withdrawn, not once per question."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    table = f'FROM "{Invitation._meta.db_table}"'
    link = invite(sender, "new@acme.test")
    with CaptureQueriesContext(connection) as ctx:
        page = Client().get(link)
    assert page.status_code == 200 and "Choose a password" in page.text
    invitation_reads = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT") and table in q["sql"]
    ]
    assert len(invitation_reads) == 1, invitation_reads
