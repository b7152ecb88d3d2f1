"""Funds tests talk to the Stamps.com sandbox over real HTTP (pytest-django's live_server)."""

from __future__ import annotations

import pytest


@pytest.fixture
def sandbox(sandbox, settings):
    """The shared sandbox, with timeouts and purchase polling short enough for fault tests."""
    settings.STAMPS_TIMEOUT = 1
    settings.FUNDING_POLL_SECONDS = 0
    return sandbox
