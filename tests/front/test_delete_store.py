"""Deleting a store (issue 19): owner only, by typing its name; refused while money or labels
are in flight, and while a balance or voidable labels remain unless the owner says they
understand; carriers disconnected; the store closed for everyone but kept for support."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from carriers.models import CarrierAccount
from funding.models import PostagePurchase
from merchants import members
from merchants.models import Merchant, StoreEvent
from orders.models import ApiKey
from tests.factories import SUPPORT_WHY, make_carrier_account, make_member, make_support_agent
from tests.shipments.factories import make_batch, make_shipment

pytestmark = pytest.mark.django_db

URL = reverse("delete-store")


def shown(response) -> str:
    return html.unescape(response.text)


def delete(client: Client, name: str = "Acme Outfitters", **acks):
    return client.post(URL, {"name": name, **{k: "on" for k, v in acks.items() if v}})


def reloaded(merchant: Merchant) -> Merchant:
    return Merchant.objects.get(pk=merchant.pk)


def test_the_owner_deletes_by_typing_the_name_and_nobody_can_open_it_again(
    merchant, owner, owner_client
):
    account = make_carrier_account(merchant)
    shipper = make_member(merchant, "ship@acme.test")
    ApiKey.objects.create(merchant=merchant, prefix="sdk_live_x", key_hash="a" * 64)
    invitation = members.invite(merchant, owner, "late@acme.test", "viewer")
    link_token = members.mark_sent(invitation, owner)

    wrong = delete(owner_client, name="acme outfitters")
    assert wrong.status_code == 400 and "exactly as shown" in shown(wrong)
    assert 'value="acme outfitters"' in wrong.text  # the form keeps what was typed
    assert reloaded(merchant).deleted_at is None

    done = delete(owner_client)
    assert done.status_code == 302
    gone = reloaded(merchant)
    assert gone.deleted_at is not None and gone.deleted_by == owner
    account.refresh_from_db()
    assert account.status == "disconnected" and account.password == ""
    assert account.disconnected_by == owner
    assert not ApiKey.objects.filter(merchant=merchant).exists()
    assert members.follow_link(link_token) == members.FollowedLink()
    # Nobody works in it any more: not the owner, not a member.
    assert owner_client.get("/orders/").status_code == 403
    member_client = Client()
    member_client.force_login(shipper)
    assert member_client.get("/orders/").status_code == 403
    # Kept, with the reason, for support.
    event = StoreEvent.objects.get(merchant=merchant, action="store_deleted")
    assert event.actor == owner.email and event.detail == "nothing left at the carrier"
    agent = Client()
    agent.force_login(make_support_agent())
    console = agent.get(reverse("support:merchant", args=[merchant.pk]), {"why": SUPPORT_WHY}).text
    assert 'data-testid="store-deleted"' in console and "by owner@acme.test" in console
    assert "Deleted the store" in console


def test_a_member_of_two_stores_keeps_the_other(merchant, owner_client, outsider_merchant):
    both = make_member(merchant, "both@acme.test")
    make_member(outsider_merchant, "both@acme.test", role="admin")
    client = Client()
    client.force_login(both)
    assert "Acme Outfitters" in client.get("/").text  # the store they joined first
    delete(owner_client)
    page = client.get("/")
    assert page.status_code == 200 and "Bramble" in page.text and "Acme Outfitters" not in page.text
    assert client.post(reverse("switch-merchant"), {"merchant": merchant.pk}).status_code == 404


def test_only_the_owner_may_delete(merchant, owner_client):
    admin = Client()
    admin.force_login(make_member(merchant, "admin@acme.test", role="admin"))
    assert delete(admin).status_code == 403
    assert reloaded(merchant).deleted_at is None
    settings_page = admin.get(reverse("settings")).text
    assert URL not in settings_page
    assert URL in owner_client.get(reverse("settings")).text


def test_a_balance_needs_the_owner_to_say_it_stays_at_stamps(merchant, owner_client):
    make_carrier_account(merchant, balance=Decimal("42.50"))
    page = owner_client.get(URL)
    assert "Main postage: $42.50" in shown(page) and 'name="balance_ack"' in page.text
    refused = delete(owner_client)
    assert refused.status_code == 400 and "stays at Stamps.com" in shown(refused)
    assert reloaded(merchant).deleted_at is None
    assert CarrierAccount.objects.get().status == "active"  # nothing half done
    assert delete(owner_client, balance_ack=True).status_code == 302
    detail = StoreEvent.objects.get(action="store_deleted").detail
    assert detail == "$42.50 left at Stamps.com"


@pytest.mark.clock("2026-06-10T14:00:00+00:00")
def test_labels_inside_the_void_window_need_acknowledging_older_ones_do_not(merchant, owner_client):
    make_shipment(merchant, "OLD", bought_at=timezone.now() - dt.timedelta(days=29))
    assert 'name="labels_ack"' not in owner_client.get(URL).text
    make_shipment(merchant, "NEW", bought_at=timezone.now() - dt.timedelta(days=27))
    page = owner_client.get(URL)
    assert "1 label ($9.40) can still be voided" in shown(page)
    refused = delete(owner_client)
    assert refused.status_code == 400 and "can still be voided" in shown(refused)
    assert delete(owner_client, labels_ack=True).status_code == 302


@pytest.mark.parametrize("what", ["purchase", "buying", "voiding", "batch"])
def test_money_or_labels_in_flight_refuse_deletion_even_acknowledged(merchant, owner_client, what):
    account = make_carrier_account(merchant, nickname="Flight")
    if what == "purchase":
        PostagePurchase.objects.create(
            merchant=merchant, account=account, amount=Decimal("20.00"), status="pending"
        )
    elif what == "batch":
        make_batch(merchant, "B-9", status="running")
    else:
        make_shipment(merchant, "F-1", status=what)
    page = owner_client.get(URL)
    assert 'data-testid="deletion-in-flight"' in page.text
    refused = delete(owner_client, balance_ack=True, labels_ack=True)
    assert refused.status_code == 400 and "Wait a minute" in shown(refused)
    assert reloaded(merchant).deleted_at is None
    assert not CarrierAccount.objects.filter(status="disconnected").exists()
