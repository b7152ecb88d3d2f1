"""The store's activity log of team changes (issue 19): who invited, joined, changed a role,
removed, transferred ownership or changed two-step sign-in, shown to those who manage the team."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from merchants.models import AuditLogIsAppendOnly, Invitation, StoreEvent
from merchants.twostep import enable_sms
from tests.factories import make_member
from tests.support import activity_table as activity
from tests.support import store_log as log
from tracking.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_every_team_change_is_logged_with_who_did_it(owner_client, owner, merchant):
    owner_client.post(reverse("members:list"), {"email": "new@acme.test", "role": "shipper"})
    invitation = Invitation.objects.get()
    owner_client.post(reverse("members:resend", args=[invitation.pk]))
    owner_client.post(reverse("members:list"), {"email": "gone@acme.test", "role": "viewer"})
    gone = Invitation.objects.get(email="gone@acme.test")
    owner_client.post(reverse("members:revoke", args=[gone.pk]))
    link = re.search(r"https?://\S+/invitations/\S+/", str(mail.outbox[-2].body)).group(0)
    newcomer = Client()
    newcomer.post(link, {"password": "tide-pool-lantern-42"})
    joined = merchant.memberships.get(user__email="new@acme.test")
    owner_client.post(reverse("members:role", args=[joined.pk]), {"role": "admin"})
    enable_sms(owner, "+14155550132")
    owner_client.post(reverse("members:require-two-step"), {"require": "on"})
    owner_client.post(reverse("members:transfer", args=[joined.pk]))
    enable_sms(joined.user, "+14155550133")  # the store now requires it of the new owner too
    heir = Client()
    heir.force_login(joined.user)
    me = merchant.memberships.get(user=owner)
    heir.post(reverse("members:remove", args=[me.pk]))
    o, n = owner.email, "new@acme.test"
    assert log(merchant) == [
        (o, "invited", n, "shipper"),
        (o, "invite_resent", n, ""),
        (o, "invited", "gone@acme.test", "viewer"),
        (o, "invite_revoked", "gone@acme.test", ""),
        (n, "joined", n, "shipper"),
        (o, "role_changed", n, "shipper → admin"),
        (o, "two_step_on", o, "text messages"),
        (o, "two_step_required", "", ""),
        (o, "ownership", n, f"{o} stays on as an admin"),
        (n, "two_step_on", n, "text messages"),
        (n, "removed", o, "admin"),
    ]


def test_owners_and_admins_see_the_activity_shippers_and_viewers_do_not(merchant, owner_client):
    shipper = make_member(merchant, "ship@acme.test", role="shipper")
    owner_client.post(
        reverse("members:role", args=[merchant.memberships.get(user=shipper).pk]),
        {"role": "viewer"},
    )
    shown = activity(owner_client)
    assert "Changed the role" in shown and "ship@acme.test" in shown and "shipper → viewer" in shown
    admin = Client()
    admin.force_login(make_member(merchant, "admin@acme.test", role="admin"))
    assert "Changed the role" in activity(admin)
    viewer = Client()
    viewer.force_login(shipper)
    page = viewer.get(reverse("members:list"))
    assert page.status_code == 200 and "team-activity" not in page.text
    assert "Changed the role" not in page.text


def test_the_log_is_append_only(merchant, owner):
    from merchants import events

    event = events.record(merchant, owner, events.Action.INVITED, subject="x@acme.test")
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        StoreEvent.objects.filter(pk=event.pk).update(subject="y@acme.test")
    with pytest.raises(AuditLogIsAppendOnly):
        StoreEvent.objects.all().delete()


def test_a_removed_persons_events_still_say_who(merchant, owner_client):
    shipper = make_member(merchant, "ship@acme.test")
    membership = merchant.memberships.get(user=shipper)
    owner_client.post(reverse("members:remove", args=[membership.pk]))
    shipper.delete()
    assert "ship@acme.test" in activity(owner_client)


def test_a_new_api_key_and_each_webhook_added_or_deleted_show_who_did_it(owner_client, merchant):
    # Both hand the store's orders to another system: the owner sees who opened that door.
    admin = Client()
    admin.force_login(make_member(merchant, "ops@acme.test", role="admin"))
    admin.post(reverse("api-key-rotate"))
    admin.post(
        reverse("tracking:webhooks"),
        {"url": "https://hooks.example.com/in", "events": ["label.bought"]},
    )
    endpoint = WebhookEndpoint.objects.get(merchant=merchant)
    admin.post(reverse("tracking:webhook-toggle", args=[endpoint.pk]), {"action": "delete"})
    table = activity(owner_client)
    assert "Created a new API key" in table
    assert "Added a webhook endpoint: https://hooks.example.com/in" in table
    assert "Deleted a webhook endpoint: https://hooks.example.com/in" in table
    assert table.count("ops@acme.test") >= 3


def test_turning_a_webhook_endpoint_off_and_on_again_shows_who_did_it(owner_client, merchant):
    admin = Client()
    admin.force_login(make_member(merchant, "ops@acme.test", role="admin"))
    admin.post(
        reverse("tracking:webhooks"),
        {"url": "https://hooks.example.com/in", "events": ["label.bought"]},
    )
    endpoint = WebhookEndpoint.objects.get(merchant=merchant)
    admin.post(reverse("tracking:webhook-toggle", args=[endpoint.pk]))
    admin.post(reverse("tracking:webhook-toggle", args=[endpoint.pk]))
    table = activity(owner_client)
    assert "Turned off a webhook endpoint: https://hooks.example.com/in" in table
    assert "Turned on a webhook endpoint: https://hooks.example.com/in" in table
