"""Label tests talk to the Stamps.com sandbox over real HTTP (pytest-django's live_server)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carriers.models import CarrierAccount
from tests.factories import make_order, make_ship_from

PASSWORD = "sandbox-pass-1"


@pytest.fixture
def stamps(sandbox, settings):
    """The shared sandbox, with timeouts short enough for fault tests (and long enough that a
    busy CI machine answering in a second is not mistaken for a carrier that went silent)."""
    settings.STAMPS_TIMEOUT = 3
    return sandbox


@pytest.fixture
def make_account(stamps, merchant):
    def make(
        username: str = "acme-labels",
        *,
        balance: str = "100.00",
        plan: str = CarrierAccount.Plan.PRO_FREE,
        status: str = CarrierAccount.Status.ACTIVE,
        is_default: bool = True,
    ) -> CarrierAccount:
        stamps.create_account(
            username,
            PASSWORD,
            balance=Decimal(balance),
            plan="pro" if plan == CarrierAccount.Plan.PRO_FREE else "personal",
            status="active" if status == CarrierAccount.Status.ACTIVE else "pending_verification",
        )
        return CarrierAccount.objects.create(
            merchant=merchant,
            nickname=username,
            username=username,
            password=PASSWORD,
            status=status,
            plan=plan,
            balance=Decimal(balance),
            is_default=is_default,
        )

    return make


@pytest.fixture
def account(make_account):
    return make_account()


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
        fields.update(overrides)
        return make_order(merchant, overrides.pop("number", f"S-{next(counter)}"), **fields)

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
