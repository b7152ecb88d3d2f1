"""Label tests talk to the Stamps.com sandbox over real HTTP (pytest-django's live_server)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import make_order, make_ship_from


@pytest.fixture
def sandbox(sandbox, settings):
    """The shared sandbox, with timeouts short enough for fault tests (and long enough that a
    busy CI machine answering in a second is not mistaken for a carrier that went silent)."""
    settings.STAMPS_TIMEOUT = 3
    return sandbox


@pytest.fixture
def stamps(sandbox):
    """The sandbox's test API, by the name the label tests use."""
    return sandbox


@pytest.fixture
def account(sandbox_account):
    return sandbox_account("acme-labels", balance="100.00")


@pytest.fixture
def ship_from(merchant):
    return make_ship_from(merchant)


@pytest.fixture
def make_shippable(merchant, ship_from):
    counter = iter(range(1, 10_000))

    def make(**overrides):
        fields = {
            "ship_from": ship_from,
            "service": "US-PM",
            "package_type": "Package",
            "weight_lb": 1,
            "weight_oz": Decimal("4.0"),
            "confirmation": "tracking",
        }
        number = overrides.pop("number", None) or f"S-{next(counter)}"
        fields.update(overrides)
        return make_order(merchant, number, **fields)

    return make


def international(**overrides):
    fields = {
        "recipient_name": "Marie Tremblay",
        "street1": "1 Rue Sainte-Catherine",
        "city": "Montreal",
        "state": "QC",
        "postal_code": "H2X 1Y4",
        "country": "CA",
        "service": "US-PMI",
        "confirmation": "none",
    }
    fields.update(overrides)
    return fields
