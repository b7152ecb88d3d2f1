from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import make_member, make_merchant, make_order


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Each user costs about a second with the production hasher; tests make hundreds.
    (Password-hashing behaviour itself is Django's, and test_accounts checks sign-in.)"""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_abuse_counters():
    """Sign-in, sign-up and reset counters live in the (process-wide) cache: tests that
    fail a few sign-ins from 127.0.0.1 must not add up to a spraying lock-out in a later one."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def merchant(db):
    """Merchant A with its owner; most tests act as this owner."""
    return make_merchant("Acme Outfitters", owner_email="owner@acme.test")


@pytest.fixture
def owner(merchant):
    return merchant.memberships.get(role="owner").user


@pytest.fixture
def member(merchant):
    return make_member(merchant, "staff@acme.test")


@pytest.fixture
def outsider_merchant(db):
    """Merchant B: must never see anything of merchant A."""
    return make_merchant("Bramble & Co", owner_email="owner@bramble.test")


@pytest.fixture
def outsider(outsider_merchant):
    return outsider_merchant.memberships.get(role="owner").user


@pytest.fixture
def owner_client(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def outsider_client(outsider) -> Client:
    client = Client()
    client.force_login(outsider)
    return client


@pytest.fixture
def order(merchant):
    return make_order(merchant, "A-1001")


@pytest.fixture
def sandbox(live_server, settings, monkeypatch, tmp_path):
    """The Stamps.com sandbox over real HTTP on the live server, reset; yields its test API.

    The client is pointed at it with no retry back-off, stored files go to a temporary
    folder, and django-q2 jobs run inline (tests that need a real worker start one with
    tests.support.qcluster). Tests using it need ``@pytest.mark.django_db(transaction=True)``:
    the live server runs in another thread and must see committed rows.
    """
    from django.core.cache import cache
    from django_q.conf import Conf

    from carriers.stamps import client as stamps_client
    from carriers.stamps.sandbox import api

    settings.STAMPS_SANDBOX = True
    settings.STAMPS_SANDBOX_URL = live_server.url + "/sandbox/stamps/swsim.asmx"
    settings.STAMPS_SERVICE_URL = ""
    settings.STAMPS_WSDL_URL = ""
    settings.STAMPS_TIMEOUT = 5
    settings.STAMPS_RETRY_BACKOFF_MS = 0
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(Conf, "SYNC", True)
    stamps_client.reset_wsdl_cache()
    cache.clear()
    api.reset()
    yield api
    api.reset()
    stamps_client.reset_wsdl_cache()
    cache.clear()
