"""Tracking tests buy real labels from the sandbox (tests/shipments/conftest.py fixtures)."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
import time_machine

from tests.shipments.conftest import (  # noqa: F401 - fixtures
    account,
    make_account,
    make_shippable,
    ship_from,
    stamps,
)


@pytest.fixture
def clock(stamps):  # noqa: F811 - the imported fixture
    """Move ShipDesk's clock and the sandbox's together: ``clock.advance(hours=10)``."""

    class Clock:
        def __init__(self):
            self.stack = contextlib.ExitStack()
            self.now = None

        def advance(self, **delta) -> dt.datetime:
            from django.utils import timezone

            self.now = (self.now or timezone.now()) + dt.timedelta(**delta)
            self.stack.enter_context(time_machine.travel(self.now, tick=False))
            stamps.set_clock(self.now)
            return self.now

    c = Clock()
    with c.stack:
        yield c
