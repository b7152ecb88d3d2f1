from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from merchants.models import Membership, Merchant
from tests.factories import PASSWORD, make_order

pytestmark = pytest.mark.django_db


def signup_data(**overrides):
    data = {
        "company_name": "Northwind Supply",
        "email": "Founder@Northwind.test",
        "password": "a-long-unusual-passphrase",
        "time_zone": "America/Chicago",
    }
    data.update(overrides)
    return data


def test_signup_creates_merchant_and_owner_and_lands_on_dashboard(client):
    response = client.post(reverse("signup"), signup_data(), follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Northwind Supply" in response.text
    merchant = Merchant.objects.get(name="Northwind Supply")
    assert merchant.time_zone == "America/Chicago"
    membership = Membership.objects.get(merchant=merchant)
    assert membership.role == "owner"
    assert membership.user.email == "founder@northwind.test"


def test_signup_with_bad_input_keeps_what_was_typed_and_saves_nothing(client):
    response = client.post(reverse("signup"), signup_data(password="123"))
    assert response.status_code == 200
    assert 'value="Northwind Supply"' in response.text
    assert "too short" in response.text
    assert "a-long" not in response.text  # passwords are never echoed back
    assert not Merchant.objects.exists()
    assert not get_user_model().objects.exists()


def test_signup_with_taken_email_says_so(client, owner):
    response = client.post(reverse("signup"), signup_data(email=owner.email.upper()))
    assert "already exists" in response.text
    assert Merchant.objects.count() == 1


def test_login_by_email_and_logout(client, owner):
    response = client.post(
        reverse("login"), {"username": owner.email, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["user"] == owner
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_explains_and_keeps_email(client, owner):
    response = client.post(reverse("login"), {"username": owner.email, "password": "nope"})
    assert "don't match" in response.text
    assert f'value="{owner.email}"' in response.text


def test_password_reset_sends_a_working_link(client, owner):
    client.post(reverse("password_reset"), {"email": owner.email})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(
        form_url, {"new_password1": "fresh-start-2026!", "new_password2": "fresh-start-2026!"}
    )
    owner.refresh_from_db()
    assert owner.check_password("fresh-start-2026!")


def test_dashboard_shows_navigation_and_counts(owner_client, merchant):
    make_order(merchant, "A-1")
    make_order(merchant, "A-2", status="on_hold")
    page = owner_client.get(reverse("home")).text
    for label in ["Orders", "Shipments", "Carriers", "Funds", "Automation", "Settings"]:
        assert f">{label}</a>" in page
    assert re.search(r'stat-value">1</span><span class="stat-label">Awaiting', page)
    assert re.search(r'stat-value">1</span><span class="stat-label">On hold', page)


def test_pages_carry_a_strict_csp_with_a_nonce_for_htmx(owner_client):
    response = owner_client.get(reverse("home"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-inline" not in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'nonce="{nonce}"' in response.text


def test_login_is_rate_limited_per_email_and_address(client, owner):
    for _ in range(5):
        client.post(reverse("login"), {"username": owner.email, "password": "guess"})
    response = client.post(reverse("login"), {"username": owner.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.text
    assert "_auth_user_id" not in client.session
    # Someone else's guessing from another address doesn't lock the merchant out.
    other = type(client)(REMOTE_ADDR="203.0.113.9")
    response = other.post(
        reverse("login"), {"username": owner.email, "password": PASSWORD}, follow=True
    )
    assert response.context["user"] == owner


def test_a_successful_login_resets_the_failure_count(client, owner):
    for _ in range(4):
        client.post(reverse("login"), {"username": owner.email, "password": "guess"})
    client.post(reverse("login"), {"username": owner.email, "password": PASSWORD})
    client.post(reverse("logout"))
    for _ in range(4):
        client.post(reverse("login"), {"username": owner.email, "password": "guess"})
    response = client.post(reverse("login"), {"username": owner.email, "password": PASSWORD})
    assert response.status_code == 302


def test_dashboard_walks_a_new_store_through_set_up(owner_client, merchant):
    from tests.factories import make_carrier_account, make_ship_from

    page = owner_client.get(reverse("home")).text
    assert "Get ready to ship" in page
    assert 'href="/settings/locations/">Add the address you ship from' in page
    make_ship_from(merchant)
    make_carrier_account(merchant, balance="25.00")
    make_order(merchant, "A-9")
    page = owner_client.get(reverse("home")).text
    assert "Get ready to ship" not in page
    assert "$25.00" in page
