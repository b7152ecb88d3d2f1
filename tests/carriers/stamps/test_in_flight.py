"""At most STAMPS_MAX_IN_FLIGHT calls in flight per Stamps.com account, whatever the number of
threads or processes calling, fewer while the carrier is slow; the sandbox counts what it
sees at once per account, as Stamps.com would."""

from __future__ import annotations

import os
import threading
import time

import pytest
from django.db import connection, connections

from carriers.stamps import client as stamps_client
from carriers.stamps import limits

pytestmark = pytest.mark.django_db(transaction=True)


def _together(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # reported by the assertions
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


# Long enough that the calls holding slots are certain to overlap at the carrier: at 0.3 s a
# loaded CI host (three clock replays side by side on 2 cores) once let a slot holder reach the
# sandbox only after another had answered, and the peak read 2 of 3.
SLOW_ANSWER = 1.5
# Without Redis or PostgreSQL the slots are lock files under VAR_DIR, shared by every process
# on the host, as they must be: the clock replays run this module in three processes at once,
# so each process calls with its own account, or they share its three slots.
BUSY = f"acme-busy-{os.getpid()}"


def _slow_calls(sandbox, sandbox_account, threads: int) -> list:
    account = sandbox_account(BUSY, balance="50.00")
    sandbox.set_fault("GetAccountInfo", "delay", delay=SLOW_ANSWER, times=0)
    return _together(
        threads, lambda i: stamps_client.client_for(account, retries=0).get_account_info()
    )


# Real threads against the sandbox for several seconds, clock-free: the SQLite and PostgreSQL
# passes run them, the clock replays (three processes side by side) leave them out.
@pytest.mark.slow
def test_an_account_never_has_more_calls_in_flight_than_the_limit(
    sandbox, sandbox_account, settings
):
    settings.STAMPS_MAX_IN_FLIGHT = 3
    results = _slow_calls(sandbox, sandbox_account, 8)
    assert not [r for r in results if isinstance(r, Exception)], results
    # Bounded, and still concurrent: the limit is used, not a lock taking turns.
    assert sandbox.peak_in_flight(BUSY) == 3


# Real threads against the sandbox for several seconds, clock-free: the SQLite and PostgreSQL
# passes run them, the clock replays (three processes side by side) leave them out.
@pytest.mark.slow
def test_a_slow_carrier_gets_half_the_calls_at_once(sandbox, sandbox_account, settings):
    settings.STAMPS_MAX_IN_FLIGHT = 4
    settings.STAMPS_SLOW_CALL_SECONDS = 0  # every answer counts as slow
    account = sandbox_account(BUSY, balance="50.00")
    stamps_client.client_for(account).get_account_info()  # one slow answer: back off
    assert limits.limit_for(BUSY) == 2
    sandbox.set_fault("GetAccountInfo", "delay", delay=SLOW_ANSWER, times=0)
    results = _together(
        8, lambda i: stamps_client.client_for(account, retries=0).get_account_info()
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sandbox.peak_in_flight(BUSY) == 2


def _peak_through(slots, limit: int, holders: int) -> int:
    """Threads that each take a slot of one account through ``slots``, hold it 300 ms (long
    enough to overlap on a loaded host), give it back: the most that held one at once."""
    lock, now, peak = threading.Lock(), [0], [0]

    def work(i: int) -> None:
        deadline = time.monotonic() + 30
        while (slot := slots.take("Acme-Ship", limit)) is None:
            assert time.monotonic() < deadline, "waited 30 s for a slot"
            time.sleep(0.005)
        with lock:
            now[0] += 1
            peak[0] = max(peak[0], now[0])
        time.sleep(0.3)
        with lock:
            now[0] -= 1
        slots.release("acme-ship", slot)

    results = _together(holders, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    return peak[0]


def test_file_slots_bound_one_host(tmp_path):
    assert _peak_through(limits._FileSlots(tmp_path), 3, 10) == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (CI=true)")
def test_postgresql_advisory_slots_bound_every_process():
    assert _peak_through(limits._PostgresSlots(), 3, 10) == 3


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI=true)")
def test_redis_slots_bound_every_host():
    assert _peak_through(limits._RedisSlots(os.environ["REDIS_URL"]), 3, 10) == 3


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI=true)")
def test_redis_slots_halve_while_the_account_is_slow_in_the_same_round_trip():
    slots = limits._RedisSlots(os.environ["REDIS_URL"])
    slots.mark_slow("acme-ship", 30)
    try:
        assert slots.is_slow("ACME-ship")
        assert _peak_through(slots, 4, 10) == 2
    finally:
        slots._redis.delete(slots._slow("acme-ship"))
    assert not slots.is_slow("acme-ship")
    assert _peak_through(slots, 4, 10) == 4


def test_a_slot_held_by_a_process_that_died_comes_back(tmp_path):
    """flock, advisory locks and Redis leases all end with their holder; files shown here."""
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'a'); "
            "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
            str(tmp_path / f"{limits._key('acme-ship')}-0.lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        slots = limits._FileSlots(tmp_path)
        assert slots.try_acquire("acme-ship", 1) is None  # another process holds it
    finally:
        holder.kill()
        holder.wait(timeout=10)
    slot = slots.try_acquire("acme-ship", 1)
    assert slot is not None
    slots.release("acme-ship", slot)


class _Counting:
    """A backend wrapper that counts the slots taken and given back."""

    def __init__(self, inner) -> None:
        self.inner, self.taken, self.released, self.renewed = inner, 0, 0, 0

    def take(self, account, slots):
        self.taken += 1
        return self.inner.take(account, slots)

    def release(self, account, slot):
        self.released += 1
        self.inner.release(account, slot)

    def renew(self, account, slot):
        self.renewed += 1
        return self.inner.renew(account, slot)

    def is_slow(self, account):
        return self.inner.is_slow(account)

    def mark_slow(self, account, seconds):
        self.inner.mark_slow(account, seconds)


@pytest.fixture
def counted(monkeypatch, tmp_path):
    slots = _Counting(limits._FileSlots(tmp_path))
    monkeypatch.setattr(limits, "backend", lambda: slots)
    return slots


def test_calls_in_one_slot_block_take_one_slot_and_give_it_back_at_the_end(counted, settings):
    settings.STAMPS_MAX_IN_FLIGHT = 1
    with limits.one_slot("acme-ship"):
        with limits.in_flight("acme-ship", "GetRates"):
            pass
        with limits.in_flight("ACME-ship", "CreateIndicium"):
            pass
        assert (counted.taken, counted.released) == (1, 0)
        # Kept between the calls: with a limit of 1, nobody else gets in meanwhile.
        assert counted.inner.take("acme-ship", 1) is None
    assert (counted.taken, counted.released) == (1, 1)
    other = counted.inner.take("acme-ship", 1)
    assert other is not None
    counted.inner.release("acme-ship", other)


def test_a_one_slot_block_without_calls_takes_nothing(counted):
    with limits.one_slot("acme-ship"):
        pass
    assert (counted.taken, counted.released) == (0, 0)


def test_another_accounts_calls_in_the_block_take_their_own_slots(counted):
    with limits.one_slot("acme-ship"):
        with limits.in_flight("other-shop", "GetRates"):
            pass
        with limits.in_flight("other-shop", "GetRates"):
            pass
    assert (counted.taken, counted.released) == (2, 2)


def test_the_kept_slot_goes_back_when_the_block_fails(counted):
    with pytest.raises(RuntimeError), limits.one_slot("acme-ship"):
        with limits.in_flight("acme-ship", "GetRates"):
            pass
        raise RuntimeError("refused")
    assert (counted.taken, counted.released) == (1, 1)


def test_a_slot_kept_long_is_renewed_before_the_next_call(counted, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(limits.time, "monotonic", lambda: clock[0])
    with limits.one_slot("acme-ship"):
        with limits.in_flight("acme-ship", "GetRates"):
            pass
        clock[0] += limits._RENEW_AFTER + 1
        with limits.in_flight("acme-ship", "CreateIndicium"):
            pass
    assert (counted.taken, counted.renewed, counted.released) == (1, 1, 1)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI=true)")
def test_a_redis_lease_is_renewed_only_while_it_lasts():
    slots = limits._RedisSlots(os.environ["REDIS_URL"])
    slot = slots.take("acme-renew", 1)
    assert slot is not None
    try:
        assert slots.renew("acme-renew", slot)
        key = f"shipdesk:stamps:in-flight:{limits._key('acme-renew')}"
        slots._redis.zadd(key, {slot: 1})  # its lease ran out long ago
        assert not slots.renew("acme-renew", slot)
        # ...and the lapsed lease no longer counts: another caller gets the slot.
        again = slots.take("acme-renew", 1)
        assert again is not None
        slots.release("acme-renew", again)
    finally:
        slots.release("acme-renew", slot)


def test_give_back_returns_the_kept_slot_before_the_block_ends(counted, settings):
    settings.STAMPS_MAX_IN_FLIGHT = 1
    with limits.one_slot("acme-ship"):
        with limits.in_flight("acme-ship", "CreateIndicium"):
            pass
        limits.give_back()
        assert (counted.taken, counted.released) == (1, 1)
        other = counted.inner.take("acme-ship", 1)  # free for the next caller already
        assert other is not None
        counted.inner.release("acme-ship", other)
    assert (counted.taken, counted.released) == (1, 1)  # not given back twice
