from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import make_member, make_merchant, make_order


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
