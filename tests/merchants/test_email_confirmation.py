"""Sign-up confirms the e-mail before the store can claim a carrier account or spend (issue 13:
addresses could be squatted)."""

from __future__ import annotations

import datetime as dt
import importlib
import re

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.test import Client
from django.urls import reverse

from carriers.models import CarrierAccount
from funding.models import AutoFunding, PostagePurchase
from merchants.confirmation import is_confirmed
from merchants.models import Profile
from shipments.models import Batch
from tests.factories import confirmation_link, make_carrier_account, make_order

pytestmark = pytest.mark.django_db


def sign_up(client: Client, email: str = "new@shop.test"):
    response = client.post(
        reverse("signup"),
        {
            "company_name": "Fresh Shop",
            "email": email,
            "password": "tide-pool-lantern-42",
            "time_zone": "America/New_York",
        },
    )
    assert response.status_code == 302
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(email=email)


def test_sign_up_sends_one_confirmation_link_and_shows_the_banner(client):
    user = sign_up(client)
    assert [m.to for m in mail.outbox] == [["new@shop.test"]]
    assert "/accounts/confirm/" in mail.outbox[0].body
    assert not is_confirmed(user)
    home = client.get("/")
    assert "Confirm your e-mail address (new@shop.test)" in home.text
    assert reverse("resend-confirmation") in home.text

    response = client.get(confirmation_link("new@shop.test"))
    assert response.status_code == 302
    assert is_confirmed(user)
    assert "Confirm your e-mail address" not in client.get("/").text
    # The link works once.
    again = client.get(confirmation_link("new@shop.test"))
    assert again.status_code == 400
    assert "already confirmed" in again.text


def test_the_link_works_without_being_signed_in(client):
    user = sign_up(client)
    link = confirmation_link(user.email)
    response = Client().get(link)
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert is_confirmed(user)


def test_an_unconfirmed_store_cannot_connect_fund_or_buy(client):
    user = sign_up(client)
    merchant = user.merchants.get()
    account = make_carrier_account(merchant)
    order = make_order(merchant, "U-1")
    attempts = {
        reverse("carriers:connect"): {"choice": "existing"},
        reverse("carriers:connect-existing"): {
            "username": "squatter",
            "password": "pw-123456",
            "nickname": "Mine now",
        },
        reverse("carriers:connect-new"): {},
        reverse("funding:add", args=[account.pk]): {"amount": "50.00"},
        reverse("funding:auto-funding", args=[account.pk]): {
            "enabled": "on",
            "threshold": "10",
            "amount": "50",
            "max_per_day": "2",
        },
        reverse("shipments:buy", args=[order.pk]): {"service": "US-PM"},
        reverse("shipments:batches"): {"order": [order.pk]},
    }
    for url, data in attempts.items():
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "Confirm your e-mail address (new@shop.test) first" in response.text, url
        assert reverse("resend-confirmation") in response.text, url
    # The connect pages say so up front rather than after the form is filled in.
    assert client.get(reverse("carriers:connect-existing")).status_code == 403
    assert CarrierAccount.objects.filter(merchant=merchant).count() == 1
    assert not PostagePurchase.objects.exists()
    assert not AutoFunding.objects.exists()
    assert not Batch.objects.exists()
    assert not order.shipments.exists()
    # Looking is fine.
    assert client.get(reverse("funding:home")).status_code == 200
    assert client.get(reverse("carriers:list")).status_code == 200

    client.get(confirmation_link(user.email))
    assert client.get(reverse("carriers:connect-existing")).status_code == 200


def test_an_htmx_buy_is_refused_with_the_message_on_the_reloaded_page(client):
    user = sign_up(client)
    order = make_order(user.merchants.get(), "U-2")
    response = client.post(
        reverse("shipments:buy", args=[order.pk]), {"service": "US-PM"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 403
    assert response["HX-Refresh"] == "true"
    assert "Confirm your e-mail address" in client.get("/").text


def test_the_link_expires(client, settings):
    user = sign_up(client)
    link = confirmation_link(user.email)
    later = dt.timedelta(seconds=settings.EMAIL_CONFIRMATION_TIMEOUT + 60)
    with time_machine.travel(dt.datetime.now(dt.UTC) + later):
        response = client.get(link)
    assert response.status_code == 400
    assert "expired" in response.text
    assert not is_confirmed(user)


def test_changing_the_email_voids_the_link_and_the_confirmation(client):
    user = sign_up(client)
    link = confirmation_link(user.email)
    user.email = "other@shop.test"
    user.save()
    assert client.get(link).status_code == 400
    assert not is_confirmed(user)
    # Confirmed, then changed: the new address needs its own confirmation.
    user.email = "new@shop.test"
    user.save()
    client.get(link)
    assert is_confirmed(user)
    user.email = "third@shop.test"
    user.save()
    assert not is_confirmed(user)


def test_a_tampered_link_is_refused(client):
    user = sign_up(client)
    link = confirmation_link(user.email)
    assert client.get(link[:-3] + "xyz/").status_code == 400
    assert client.get("/accounts/confirm/%%%/1-abc/").status_code == 400
    assert not is_confirmed(user)


def test_resend_is_rate_limited(client, settings):
    sign_up(client)
    for _ in range(settings.CONFIRMATION_RESEND_LIMIT):
        response = client.post(reverse("resend-confirmation"), {"next": "/orders/"})
        assert response.status_code == 302 and response["Location"] == "/orders/"
    response = client.post(reverse("resend-confirmation"), follow=True)
    assert "several links this hour" in response.text
    assert len(mail.outbox) == 1 + settings.CONFIRMATION_RESEND_LIMIT
    # An outside "next" is not followed.
    settings.CONFIRMATION_RESEND_LIMIT = 99
    response = client.post(reverse("resend-confirmation"), {"next": "https://evil.test/"})
    assert response["Location"] == reverse("home")
    # Nor one that is no path at all (it was taken for a URL name: a server error).
    response = client.post(reverse("resend-confirmation"), {"next": "0"})
    assert response["Location"] == reverse("home")


def test_resend_needs_a_signed_in_person():
    response = Client().post(reverse("resend-confirmation"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert mail.outbox == []


def test_factory_users_and_the_demo_owner_are_confirmed(owner):
    from django.core.management import call_command

    assert is_confirmed(owner)
    call_command("seed_demo", verbosity=0)
    from django.contrib.auth import get_user_model

    demo = get_user_model().objects.get(email="demo@shipdesk.test")
    assert is_confirmed(demo)
    client = Client()
    client.force_login(demo)
    assert client.get(reverse("carriers:connect-existing")).status_code == 200


def test_existing_users_are_grandfathered_and_staff_become_admins(merchant):
    from tests.factories import make_member, make_user

    legacy = make_user("legacy@acme.test", confirmed=False)
    staff = make_member(merchant, "helper@acme.test", role="shipper")
    merchant.memberships.filter(user=staff).update(role="staff")
    Profile.objects.filter(user=staff).delete()
    migration = importlib.import_module("merchants.migrations.0005_grandfather_and_staff_roles")
    migration.forwards(apps, None)
    assert is_confirmed(legacy) and is_confirmed(staff)
    assert merchant.memberships.get(user=staff).role == "admin"


def test_support_sees_who_has_not_confirmed(client, merchant):
    from tests.factories import SUPPORT_WHY, make_member, make_support_agent

    make_member(merchant, "late@acme.test")
    Profile.objects.filter(user__email="late@acme.test").update(confirmed_email="")
    agent = Client()
    agent.force_login(make_support_agent())
    page = agent.get(reverse("support:merchant", args=[merchant.pk]), {"why": SUPPORT_WHY}).text
    assert "E-mail confirmed" in page and "Two-step" in page
    rows = re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)
    late = next(r for r in rows if "late@acme.test" in r)
    owner = next(r for r in rows if "owner@acme.test" in r)
    assert re.findall(r">(Yes|No)<", late)[-2:] == ["No", "No"]
    assert re.findall(r">(Yes|No)<", owner)[-2:] == ["Yes", "No"]
