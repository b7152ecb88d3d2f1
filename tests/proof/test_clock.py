"""The suite's clock: every test starts at the run's instant (or its own), never the wall clock,
and the sandbox reads the same clock as ShipDesk."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import run_clock
from tests.support import WEEKDAY_MORNING


def test_a_test_starts_at_the_runs_instant_not_the_wall_clock(request):
    instant = run_clock(request.config)
    if instant is None:
        pytest.skip("run with --clock=real: the wall clock on purpose")
    assert abs(timezone.now() - instant) < dt.timedelta(minutes=1)
    assert abs(dt.datetime.now(dt.UTC) - instant) < dt.timedelta(minutes=1)


@pytest.mark.clock(WEEKDAY_MORNING)
def test_a_pinned_test_runs_at_its_own_instant_whatever_the_run_says():
    pinned = dt.datetime.fromisoformat(WEEKDAY_MORNING)
    assert abs(timezone.now() - pinned) < dt.timedelta(minutes=1)
    assert timezone.localtime(timezone.now(), pinned.tzinfo).hour == 10


@pytest.mark.django_db
@pytest.mark.clock(WEEKDAY_MORNING)
def test_the_sandbox_reads_the_same_clock():
    from carriers.stamps.sandbox import state

    assert abs(state.now() - dt.datetime.fromisoformat(WEEKDAY_MORNING)) < dt.timedelta(minutes=1)
