"""Funds tests talk to the Stamps.com sandbox over real HTTP (pytest-django's live_server)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carriers.models import CarrierAccount

PASSWORD = "sandbox-pass-1"


@pytest.fixture
def sandbox(sandbox, settings):
    """The shared sandbox, with timeouts and purchase polling short enough for fault tests."""
    settings.STAMPS_TIMEOUT = 1
    settings.FUNDING_POLL_SECONDS = 0
    return sandbox


@pytest.fixture
def make_account(sandbox, merchant):
    """A carrier account at the sandbox and its connected ShipDesk CarrierAccount."""

    def make(
        username: str = "acme-ship",
        *,
        balance: Decimal | str = "0.00",
        status: str = CarrierAccount.Status.ACTIVE,
        for_merchant=None,
        **sandbox_kwargs,
    ) -> CarrierAccount:
        sandbox.create_account(
            username,
            PASSWORD,
            balance=Decimal(balance),
            status="active" if status == CarrierAccount.Status.ACTIVE else "pending_verification",
            **sandbox_kwargs,
        )
        owner = for_merchant or merchant
        return CarrierAccount.objects.create(
            merchant=owner,
            nickname=username,
            username=username,
            password=PASSWORD,
            status=status,
            is_default=not CarrierAccount.objects.filter(merchant=owner).exists(),
            balance=Decimal(balance),
        )

    return make
