"""Members of a store: invitations by e-mail, roles, removal and ownership (issue 19)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from merchants import members
from merchants.confirmation import is_confirmed
from merchants.models import Invitation, Membership
from merchants.permissions import NotAllowed
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def invitation_link(email: str) -> str:
    body = next(m.body for m in reversed(mail.outbox) if email in m.to)
    link = re.search(r"https?://\S+/invitations/\S+/", str(body))
    assert link is not None, f"no invitation link in {body!r}"
    return link.group(0)


def invite(client: Client, email: str, role: str = "shipper"):
    return client.post(reverse("members:list"), {"email": email, "role": role})


def test_owner_invites_a_new_person_who_sets_a_password_and_joins(owner_client, merchant):
    response = invite(owner_client, "Packer@Acme.test")
    assert response.status_code == 302
    assert "packer@acme.test" in owner_client.get(reverse("members:list")).text
    link = invitation_link("packer@acme.test")
    newcomer = Client()
    page = newcomer.get(link)
    assert "Join Acme Outfitters" in page.text and "shipper" in page.text
    assert newcomer.post(link, {"password": "short"}).status_code == 200  # kept, with errors
    response = newcomer.post(link, {"password": "tide-pool-lantern-42"})
    assert response.status_code == 302
    membership = Membership.objects.get(merchant=merchant, user__email="packer@acme.test")
    assert membership.role == "shipper"
    assert is_confirmed(membership.user)  # the link proved the address
    assert "Acme Outfitters" in newcomer.get("/").text
    # Used once.
    assert Client().get(link).status_code == 400


def test_an_existing_user_signs_in_and_gets_the_store_in_their_switcher(
    owner_client, merchant, outsider_merchant, outsider
):
    invite(owner_client, outsider.email, role="viewer")
    link = invitation_link(outsider.email)
    anonymous = Client().get(link)
    assert "Sign in to accept" in anonymous.text
    client = Client()
    client.force_login(outsider)
    assert client.post(link).status_code == 302
    assert set(outsider.merchants.all()) == {merchant, outsider_merchant}
    switcher = client.get("/").text
    assert 'name="merchant"' in switcher and "Bramble &amp; Co" in switcher


def test_the_wrong_signed_in_user_cannot_take_an_invitation(owner_client, merchant, outsider):
    invite(owner_client, "someone@else.test")
    client = Client()
    client.force_login(outsider)
    page = client.post(invitation_link("someone@else.test"))
    assert "signed in as owner@bramble.test" in page.text
    assert not merchant.memberships.filter(user=outsider).exists()


def test_resend_voids_the_old_link_and_revoke_voids_all(owner_client):
    invite(owner_client, "twice@acme.test")
    first = invitation_link("twice@acme.test")
    invitation = Invitation.objects.get(email="twice@acme.test")
    owner_client.post(reverse("members:resend", args=[invitation.pk]))
    second = invitation_link("twice@acme.test")
    assert first != second
    assert Client().get(first).status_code == 400
    assert Client().get(second).status_code == 200
    owner_client.post(reverse("members:revoke", args=[invitation.pk]))
    assert Client().get(second).status_code == 400


def test_an_invitation_expires(owner_client, settings):
    invite(owner_client, "late@acme.test")
    link = invitation_link("late@acme.test")
    later = dt.timedelta(seconds=settings.INVITATION_TIMEOUT + 60)
    with time_machine.travel(dt.datetime.now(dt.UTC) + later):
        assert Client().get(link).status_code == 400


def test_inviting_twice_or_a_member_or_as_owner_is_a_form_error(owner_client, merchant):
    make_member(merchant, "already@acme.test")
    response = invite(owner_client, "already@acme.test")
    assert response.status_code == 400 and "already a member" in response.text
    invite(owner_client, "once@acme.test")
    response = invite(owner_client, "once@acme.test")
    assert response.status_code == 400 and "open invitation" in response.text
    response = invite(owner_client, "boss@acme.test", role="owner")
    assert response.status_code == 400
    assert not Invitation.objects.filter(email="boss@acme.test").exists()


def test_admin_manages_members_but_never_the_owner(merchant, owner):
    admin = make_member(merchant, "admin@acme.test", role="admin")
    shipper = make_member(merchant, "ship@acme.test", role="shipper")
    client = Client()
    client.force_login(admin)
    ship = merchant.memberships.get(user=shipper)
    client.post(reverse("members:role", args=[ship.pk]), {"role": "viewer"})
    assert merchant.memberships.get(user=shipper).role == "viewer"
    own = merchant.memberships.get(user=owner)
    client.post(reverse("members:role", args=[own.pk]), {"role": "viewer"})
    client.post(reverse("members:remove", args=[own.pk]))
    assert merchant.memberships.get(user=owner).role == "owner"
    assert client.post(reverse("members:transfer", args=[ship.pk])).status_code == 403
    client.post(reverse("members:remove", args=[ship.pk]))
    assert not merchant.memberships.filter(user=shipper).exists()


def test_a_shipper_cannot_invite(merchant):
    client = Client()
    client.force_login(make_member(merchant, "ship@acme.test", role="shipper"))
    assert invite(client, "friend@acme.test").status_code == 403
    assert not Invitation.objects.exists()
    with pytest.raises(NotAllowed):  # the service checks too, whoever calls it
        members.invite(merchant, merchant.memberships.get(role="shipper").user, "x@y.test", "admin")


def test_the_owner_transfers_ownership_and_stays_as_admin(owner_client, merchant, owner):
    heir = make_member(merchant, "heir@acme.test", role="admin")
    membership = merchant.memberships.get(user=heir)
    response = owner_client.post(reverse("members:transfer", args=[membership.pk]), follow=True)
    assert "now owns Acme Outfitters" in response.text
    roles = dict(merchant.memberships.values_list("user__email", "role"))
    assert roles == {"owner@acme.test": "admin", "heir@acme.test": "owner"}
    # The former owner can no longer change the company details.
    assert (
        owner_client.post(reverse("settings"), {"name": "X", "time_zone": "UTC"}).status_code == 403
    )


def test_another_stores_members_and_invitations_are_out_of_reach(outsider_client, merchant):
    Invitation.objects.create(merchant=merchant, email="a@b.test", role="viewer")
    inv = Invitation.objects.get()
    mem = merchant.memberships.get()
    for name, pk in [("members:revoke", inv.pk), ("members:remove", mem.pk)]:
        assert outsider_client.post(reverse(name, args=[pk])).status_code == 404
    assert merchant.memberships.count() == 1 and Invitation.objects.get().is_open


def test_a_removed_members_open_page_reloads_on_its_next_htmx_request_and_shows_no_store(
    merchant, owner, order
):
    # htmx swaps nothing from a 403 page: the removed member would click and see nothing.
    staff = make_member(merchant, "gone@acme.test", role="shipper")
    client = Client()
    client.force_login(staff)
    merchant.memberships.get(user=staff).delete()
    panel = reverse("tracking:order-panel", args=[order.pk])
    response = client.get(panel, headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"
    assert client.get(panel).status_code == 403  # the reloaded page: no store to work in
