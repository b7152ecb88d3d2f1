"""Sign-in, sign-up and password-reset limits, tried the way an attacker would."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_limits():
    # The counters live in the cache, in fixed windows of the clock: freeze it mid-window.
    cache.clear()
    with time_machine.travel(dt.datetime(2026, 11, 25, 10, 7, tzinfo=dt.UTC), tick=False):
        yield
    cache.clear()


def bad_logins(client, username: str, times: int = 5, url: str = "login") -> None:
    for _ in range(times):
        client.post(reverse(url), {"username": username, "password": "guess"})


@pytest.mark.parametrize("spelling", ["OWNER@ACME.TEST", "Owner@Acme.test", " owner@acme.test "])
def test_the_lockout_holds_whatever_the_letter_case(client, owner, spelling):
    bad_logins(client, owner.email)
    response = client.post(reverse("login"), {"username": spelling, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_changing_the_case_between_guesses_still_counts_every_guess(client, owner):
    for spelling in ["owner@acme.test", "OWNER@acme.test", "owner@ACME.test", "Owner@Acme.Test",
                     "oWnEr@acme.test"]:  # fmt: skip
        client.post(reverse("login"), {"username": spelling, "password": "guess"})
    response = client.post(reverse("login"), {"username": owner.email, "password": PASSWORD})
    assert response.status_code == 429


def test_the_admin_login_shares_the_case_blind_lockout(client, owner):
    owner.is_staff = owner.is_superuser = True
    owner.save()
    bad_logins(client, "OWNER@acme.test", url="admin:login")
    response = client.post(
        reverse("admin:login"), {"username": "Owner@Acme.Test", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def behind_proxy(client_ip: str) -> Client:
    # The proxy connects from 10.0.0.2 and appends the address it saw to X-Forwarded-For.
    return Client(REMOTE_ADDR="10.0.0.2", headers={"X-Forwarded-For": client_ip})


def test_behind_one_proxy_a_lockout_only_holds_the_guessing_address(settings, owner):
    settings.AXES_IPWARE_PROXY_COUNT = 0  # what PROXY_COUNT=1 configures (see settings.py)
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    settings.IPWARE_STRICT = False
    attacker = behind_proxy("198.51.100.66")
    bad_logins(attacker, owner.email)
    assert (
        attacker.post(reverse("login"), {"username": owner.email, "password": PASSWORD}).status_code
        == 429
    )
    # The merchant, through the same proxy from elsewhere, still signs in.
    merchant = behind_proxy("203.0.113.20")
    response = merchant.post(reverse("login"), {"username": owner.email, "password": PASSWORD})
    assert response.status_code == 302
    # A forged X-Forwarded-For doesn't give the attacker fresh tries: the proxy appends.
    forged = behind_proxy("203.0.113.20, 198.51.100.66")
    response = forged.post(reverse("login"), {"username": owner.email, "password": PASSWORD})
    assert response.status_code == 429


def test_proxy_count_setting_configures_ipware_for_x_forwarded_for(monkeypatch):
    import importlib

    from shipdesk import settings as project_settings

    monkeypatch.setenv("PROXY_COUNT", "1")
    configured = importlib.reload(project_settings)
    try:
        assert configured.AXES_IPWARE_META_PRECEDENCE_ORDER[0] == "HTTP_X_FORWARDED_FOR"
        assert configured.AXES_IPWARE_PROXY_COUNT == 0
        assert configured.IPWARE_STRICT is False
    finally:
        monkeypatch.delenv("PROXY_COUNT")
        importlib.reload(project_settings)


def test_password_spraying_across_many_emails_from_one_address_is_stopped(client, settings):
    victim = make_user("victim@shop.test")
    for n in range(settings.LOGIN_SPRAY_LIMIT):
        client.post(reverse("login"), {"username": f"user{n}@shop.test", "password": "Summer2026"})
    response = client.post(reverse("login"), {"username": victim.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Other addresses are unaffected.
    other = Client(REMOTE_ADDR="203.0.113.9")
    response = other.post(reverse("login"), {"username": victim.email, "password": PASSWORD})
    assert response.status_code == 302


def signup_data(n: int) -> dict:
    return {
        "company_name": f"Shop {n}",
        "email": f"founder{n}@shop.test",
        "password": "a-long-unusual-passphrase",
        "time_zone": "America/Chicago",
    }


def test_signups_from_one_address_are_rate_limited(settings):
    from merchants.models import Merchant

    for n in range(settings.SIGNUP_LIMIT):
        Client().post(reverse("signup"), signup_data(n))
    response = Client().post(reverse("signup"), signup_data(99))
    assert response.status_code == 429
    assert "Too many sign-ups" in response.text
    assert 'value="Shop 99"' in response.text  # what was typed is kept
    assert Merchant.objects.count() == settings.SIGNUP_LIMIT


def test_password_reset_requests_are_rate_limited(client, owner, settings):
    for _ in range(settings.PASSWORD_RESET_LIMIT + 3):
        response = client.post(reverse("password_reset"), {"email": owner.email})
    assert len(mail.outbox) == settings.PASSWORD_RESET_LIMIT
    assert response.status_code == 429
    assert "Too many password reset requests" in response.text
