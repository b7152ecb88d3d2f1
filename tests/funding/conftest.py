"""Funds tests talk to the Stamps.com sandbox over real HTTP (pytest-django's live_server)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from carriers.models import CarrierAccount
from carriers.stamps import client as stamps_client

SANDBOX_PATH = "/sandbox/stamps/swsim.asmx"
PASSWORD = "sandbox-pass-1"


@pytest.fixture
def sandbox(live_server, settings, monkeypatch):
    """The sandbox API, reset, with the client pointed at it and fast failure settings.
    Background jobs run inline (django-q2 sync); one test uses a real worker instead."""
    from django_q.conf import Conf

    from carriers.stamps.sandbox import api

    settings.STAMPS_SANDBOX = True
    settings.STAMPS_WSDL_URL = ""
    settings.STAMPS_SERVICE_URL = ""
    settings.STAMPS_SANDBOX_URL = f"{live_server.url}{SANDBOX_PATH}"
    settings.STAMPS_TIMEOUT = 1
    settings.STAMPS_RETRY_BACKOFF_MS = 0
    settings.FUNDING_POLL_SECONDS = 0
    monkeypatch.setattr(Conf, "SYNC", True)
    stamps_client._tokens.clear()
    api.reset()
    yield api
    stamps_client._tokens.clear()


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
