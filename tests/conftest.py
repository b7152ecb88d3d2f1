from __future__ import annotations

import datetime as dt
import gc
import os
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from tests.factories import make_member, make_merchant, make_order, make_user
from tests.support import reference_wsdl

# Every test runs on a fixed instant unless told otherwise, so nothing in the suite depends on
# the hour or the day CI happens to run at: a Wednesday mid-morning in New York, when every
# cut-off, SCAN form and pickup rule takes its everyday branch. The clock ticks from there, so
# timeouts and back-offs still pass. `--clock` (or SHIPDESK_TEST_CLOCK) moves the whole run to
# another instant; scripts/test uses it to replay the time-sensitive tests at awkward hours.
DEFAULT_CLOCK = "2026-06-10T14:00:00+00:00"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        default=os.environ.get("SHIPDESK_TEST_CLOCK", DEFAULT_CLOCK),
        help="ISO 8601 instant (with offset) every test starts at; 'real' for the wall clock.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "clock(instant): the test needs a particular time of day or day of the week; it runs at "
        "that ISO 8601 instant (with offset) whatever --clock says.",
    )


def run_clock(config: pytest.Config) -> dt.datetime | None:
    value = config.getoption("--clock")
    if value == "real":
        return None
    instant = dt.datetime.fromisoformat(value)
    if instant.tzinfo is None:
        raise pytest.UsageError(f"--clock needs a UTC offset: {value!r}")
    return instant


@pytest.fixture(autouse=True)
def fixed_clock(request: pytest.FixtureRequest):
    """Travel to the test's own instant (``@pytest.mark.clock``), else the run's, for the whole
    test; tests may travel further inside."""
    pinned = request.node.get_closest_marker("clock")
    instant = dt.datetime.fromisoformat(pinned.args[0]) if pinned else run_clock(request.config)
    if instant is None or request.node.get_closest_marker("worker"):
        # A real qcluster reads the wall clock; its tests must not depend on the hour.
        yield None
        return
    with time_machine.travel(instant, tick=True):
        yield instant


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    wsdl = reference_wsdl()
    if wsdl is None:
        skipped = [
            r
            for r in terminalreporter.stats.get("skipped", [])
            if "real SWSIM v135 WSDL" in str(getattr(r, "longrepr", ""))
        ]
        terminalreporter.write_sep(
            "!",
            f"REAL SWSIM v135 WSDL NOT FOUND: {len(skipped)} fidelity tests skipped. Put the "
            "reference in shared/stamps/ beside the checkout or a parent folder, or set "
            "STAMPS_REFERENCE_WSDL.",
            red=True,
            bold=True,
        )
    clock = run_clock(config)
    terminalreporter.write_line(
        f"test clock: {clock.isoformat() if clock else 'the wall clock'} (--clock)"
    )


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
def superuser(db):
    user = make_user("root@shipdesk.test")
    user.is_staff = user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def admin_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def store_admin_client(merchant) -> Client:
    """A member with the store's admin role; ``admin_client`` is a Django superuser."""
    client = Client()
    client.force_login(make_member(merchant, "ops@acme.test", role="admin"))
    return client


@pytest.fixture
def order(merchant):
    return make_order(merchant, "A-1001")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's test databases, dropped only once the live server's request threads
    have finished (10 s at most). Each serves one kept-alive connection and holds a database
    connection of its own until that ends; left open, it keeps PostgreSQL from dropping the
    test database. Clients hang up in their fixtures' teardown, or when collected."""
    yield
    gc.collect()
    deadline = time.monotonic() + 10
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))


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


SANDBOX_PASSWORD = "sandbox-pass-1"


@pytest.fixture
def sandbox_account(sandbox, merchant) -> Callable[..., Any]:
    """Connects a Stamps.com account as a merchant does: the account at the sandbox, then its
    CarrierAccount in ShipDesk (the merchant's first account is the default). Every test
    package that needs a carrier account with money on it uses this one."""
    from carriers.models import CarrierAccount

    def connect(
        username: str = "acme-ship",
        *,
        balance: Decimal | str = "0.00",
        plan: str = CarrierAccount.Plan.PRO_FREE,
        status: str = CarrierAccount.Status.ACTIVE,
        nickname: str = "",
        is_default: bool | None = None,
        for_merchant=None,
        **sandbox_kwargs: Any,
    ) -> CarrierAccount:
        sandbox.create_account(
            username,
            SANDBOX_PASSWORD,
            balance=Decimal(balance),
            plan="pro" if plan == CarrierAccount.Plan.PRO_FREE else "personal",
            status="active" if status == CarrierAccount.Status.ACTIVE else "pending_verification",
            **sandbox_kwargs,
        )
        owner = for_merchant or merchant
        if is_default is None:
            is_default = not CarrierAccount.objects.filter(merchant=owner).exists()
        return CarrierAccount.objects.create(
            merchant=owner,
            nickname=nickname or username,
            username=username,
            password=SANDBOX_PASSWORD,
            status=status,
            plan=plan,
            balance=Decimal(balance),
            is_default=is_default,
        )

    return connect


@pytest.fixture
def bought_label(merchant) -> Callable[..., Any]:
    """Real labels bought from the sandbox through ``shipments.labels.buy_label``: an order
    shipping from ``location`` (a 1 lb 4 oz Priority Mail package unless told otherwise)."""
    from shipments.labels import buy_label

    counter = iter(range(1, 10_000))

    def buy(account, location, *, service: str = "US-PM", **order_fields: Any):
        fields = {
            "ship_from": location,
            "service": service,
            "package_type": "Package",
            "weight_lb": 1,
            "weight_oz": Decimal("4.0"),
            "confirmation": "tracking",
            **order_fields,
        }
        order = make_order(merchant, f"B-{next(counter)}", **fields)
        return buy_label(order, account, service)

    return buy
