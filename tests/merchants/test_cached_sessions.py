"""Sessions read from the cache (cached_db, what production runs with REDIS_URL set).

A page reads the session from the cache, not the database; and everything a session carries
still holds: signing out ends it, signing in (after the code page too) starts a new one, a
password change ends the others, the support console opens, and a lost cache signs nobody out.
"""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from merchants.models import Membership
from tests.factories import PASSWORD, make_support_agent
from tests.merchants.test_two_step import T0, at, turn_on

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cached_sessions(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


def sign_in(email: str) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response
    return client


def same_session(client: Client) -> Client:
    """Another browser presenting the very same session cookie."""
    copy = Client()
    copy.cookies["sessionid"] = client.cookies["sessionid"].value
    return copy


def test_pages_read_the_session_from_the_cache_and_survive_losing_it(owner):
    client = sign_in(owner.email)
    client.get("/orders/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/orders/").status_code == 200
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]
    cache.clear()  # Redis restarted: the database still has every session
    assert client.get("/orders/").status_code == 200


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(owner):
    client = sign_in(owner.email)
    stolen = same_session(client)
    assert stolen.get("/orders/").status_code == 200
    client.post(reverse("logout"))
    assert stolen.get("/orders/").status_code == 302
    assert client.get("/orders/").status_code == 302


def test_a_password_change_signs_out_the_other_sessions(owner):
    client = sign_in(owner.email)
    assert client.get("/orders/").status_code == 200
    owner.set_password("another-horse-battery-staple")
    owner.save()
    response = client.get("/orders/")
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_code_page_keeps_its_state_and_signing_in_rotates_the_session(owner, owner_client):
    with at(0):
        secret, _ = turn_on(owner_client)
    with at(60):
        client = Client()
        client.post(reverse("login"), {"username": owner.email, "password": PASSWORD})
        waiting = same_session(client)  # the session that only knows the password
        assert client.get(reverse("two-step-code")).status_code == 200
        code = pyotp.TOTP(secret).at(T0 + dt.timedelta(seconds=60))
        assert client.post(reverse("two-step-code"), {"code": code}).status_code == 302
        assert client.get("/orders/").status_code == 200
        assert client.cookies["sessionid"].value != waiting.cookies["sessionid"].value
        assert waiting.get("/orders/").status_code == 302


def test_the_support_console_opens_on_a_cached_session(merchant):
    agent = make_support_agent()
    Membership.objects.create(merchant=merchant, user=agent, role=Membership.Role.VIEWER)
    client = sign_in(agent.email)
    assert client.get(reverse("support:search")).status_code == 200
    page = client.get("/orders/").text
    assert f'href="{reverse("support:search")}"' in page
