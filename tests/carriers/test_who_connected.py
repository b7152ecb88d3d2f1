"""Who connected and who disconnected each carrier account (issue 19): on the carrier page, in
the store's activity log and in the support console. Against the sandbox, through the pages."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from carriers.models import CarrierAccount
from merchants.models import StoreEvent
from tests.carriers.test_forms import GOOD_NEW
from tests.factories import SUPPORT_WHY, make_member, make_support_agent

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "ship-it-2026"


def by_testid(page: str, name: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", m).strip()
        for m in re.findall(rf'data-testid="{name}">(.*?)</(?:div|ul)>', page, re.S)
    ]


def test_the_carrier_page_and_support_say_who_connected_and_disconnected(
    owner_client, merchant, sandbox
):
    sandbox.create_account("acme-post", PASSWORD)
    admin = Client()
    admin.force_login(make_member(merchant, "admin@acme.test", role="admin"))
    connected = admin.post(
        reverse("carriers:connect-existing"),
        {"username": "acme-post", "password": PASSWORD, "nickname": "Main postage"},
    )
    assert connected.status_code == 302
    account = CarrierAccount.objects.get()
    assert account.connected_by.email == "admin@acme.test"
    page = owner_client.get(reverse("carriers:list")).text
    assert "by admin@acme.test" in by_testid(page, "connected-by")[0]

    owner_client.post(reverse("carriers:disconnect", args=[account.pk]))
    account.refresh_from_db()
    assert account.disconnected_by.email == "owner@acme.test"
    history = by_testid(owner_client.get(reverse("carriers:list")).text, "disconnected-accounts")[0]
    assert "by admin@acme.test" in history and "disconnected" in history
    assert history.endswith("by owner@acme.test</li>")

    log = StoreEvent.objects.filter(merchant=merchant).order_by("pk")
    assert list(log.values_list("actor", "action", "subject")) == [
        ("admin@acme.test", "carrier_connected", "Main postage (acme-post)"),
        ("owner@acme.test", "carrier_disconnected", "Main postage (acme-post)"),
    ]

    agent = Client()
    agent.force_login(make_support_agent())
    console = agent.get(reverse("support:merchant", args=[merchant.pk]), {"why": SUPPORT_WHY}).text
    accounts = console[console.index('id="accounts"') :]
    accounts = accounts[: accounts.index("</section>")]
    assert "by admin@acme.test" in accounts and "by owner@acme.test" in accounts
    assert "Disconnected a carrier account" in console


def test_registering_a_new_account_records_who_did_it(owner_client, merchant, sandbox):
    owner_client.post(reverse("carriers:connect-new"), GOOD_NEW)
    account = CarrierAccount.objects.get()
    assert account.connected_by.email == "owner@acme.test"
    event = StoreEvent.objects.get(merchant=merchant, action="carrier_connected")
    assert event.detail == "new free account" and event.actor == "owner@acme.test"
