"""ShipDesk's own time and SQL queries per label bought (issue 21): <= 10 ms and <= 8 queries.

Labels are bought one at a time, in this process, through ``shipments.labels.buy_label``
(everything a merchant waits for before the label is bought and its image stored or queued
to be stored), against the Stamps.com sandbox served over real HTTP by a threaded WSGI server
in this process. The server records when it was busy with each request (from the moment its
request line was read until the answer was written: SOAP posts and image downloads alike);
ShipDesk's own time for a label is the wall time of its ``buy_label`` minus the server's time
for every request that purchase made. Queries are counted on this thread's connection only
(the sandbox's own queries run on the server's threads).

The breakdown times named steps of the purchase (wrapped in this process only) the same way:
each step's wall time minus the sandbox's time for the requests it made, and the SQL queries
run inside it. Steps nest (the SOAP exchange is inside CreateIndicium), so they do not add up.

Orders are imported and their addresses checked beforehand (as the import's background check
does), every order has its own address so no rate comes from the cache, and the account's
ledger is opened first. ``LABEL_COST_UNCHECKED=1`` leaves the addresses unchecked, so each
purchase checks its address with the carrier too (CleanseAddress, one more query).

The database is the one configured (SQLite, or PostgreSQL through ``DATABASE_URL``); on
PostgreSQL the same bench also runs on SQLite, in a child process. A throwaway test database
is created and destroyed.

Run: python -m bench label_cost   (LABEL_COST_COUNT=200 labels, LABEL_COST_WARMUP=10 first;
LABEL_COST_SQL=1 prints one label's queries, LABEL_COST_PROFILE=30 the 30 costliest
functions on ShipDesk's side). Non-zero exit when a target is missed.
"""

from __future__ import annotations

import cProfile
import functools
import os
import pstats
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

COUNT = int(os.environ.get("LABEL_COST_COUNT", "200"))
WARMUP = int(os.environ.get("LABEL_COST_WARMUP", "10"))
UNCHECKED = os.environ.get("LABEL_COST_UNCHECKED", "") == "1"
SHOW_SQL = os.environ.get("LABEL_COST_SQL", "") == "1"
# This thread's Python profile of the measured purchases: the N costliest functions.
PROFILE = int(os.environ.get("LABEL_COST_PROFILE", "0"))
TARGET_MS = float(os.environ.get("LABEL_COST_TARGET_MS", "10"))
TARGET_QUERIES = int(os.environ.get("LABEL_COST_TARGET_QUERIES", "8"))
ROOT = Path(__file__).resolve().parent.parent
CHILD = "LABEL_COST_CHILD"


class _Server:
    """When the sandbox was busy: (start, end) of every request it handled."""

    def __init__(self) -> None:
        self.started = 0
        self.spans: list[tuple[float, float]] = []
        self.lock = threading.Lock()

    def settle(self) -> None:
        """Wait until every request that was read has its span: the server records it just
        after the answer went out, maybe after the client already has it."""
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.spans) >= self.started:
                    return
            time.sleep(0.0002)
        raise RuntimeError("the sandbox server did not finish a request within 2 s")


def _answer_noted(app, done: threading.local):
    """The app, noting when its answer was ready. The server's time ends there, not when
    the server thread gets round to noting that it wrote it: once the answer is on the
    socket, this process's GIL lets the client go on first, and a later note would count
    the client's own work as the sandbox's."""

    def noted(environ, start_response):
        result = app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        done.at = time.perf_counter()
        return [body]

    return noted


def _serve(app, server_state: _Server):
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    # Each connection has its own thread: the answer's end is noted per thread.
    done = threading.local()
    app = _answer_noted(app, done)

    class Handler(WSGIRequestHandler):
        _started: float | None = None

        def setup(self) -> None:
            super().setup()
            # See bench.stamps_client: without it Nagle's algorithm adds ~40 ms an answer.
            cast(socket.socket, self.connection).setsockopt(
                socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
            )

        def parse_request(self) -> bool:
            self._started = time.perf_counter()
            with server_state.lock:
                server_state.started += 1
            return super().parse_request()

        def handle_one_request(self) -> None:
            self._started = None
            done.at = None
            super().handle_one_request()
            if self._started is not None:
                # The answer's end, not the clean-up after it (closing the connection...).
                end = done.at or time.perf_counter()
                with server_state.lock:
                    server_state.spans.append((self._started, end))

        def log_message(self, *args) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Handler, allow_reuse_address=False)
    server.set_app(app)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# --------------------------------------------------------------------------------------------
# The breakdown: steps of the purchase, timed by wrapping them in this process only.


@dataclass
class _Record:
    """What one purchase did: step windows and queries, by perf_counter time."""

    steps: list[tuple[str, float, float, float]] = field(default_factory=list)  # +CPU s
    queries: list[tuple[float, float, str]] = field(default_factory=list)
    active: bool = False


_record = _Record()

# (module, attribute, step name, depth). Attributes missing in this version are skipped, so
# the same bench measures before and after a change.
STEPS: list[tuple[str, str, str, int]] = [
    ("shipments.labels", "open_book", "ledger opened? (R14)", 1),
    ("orders.addresses", "require_buyable", "address check (R37b)", 1),
    ("shipments.rating", "rate_for_service", "rate (GetRates)", 1),
    ("shipments.labels", "_reserve", "reserve: shipment row + IntegratorTxID", 1),
    ("shipments.labels", "_facts", "facts: one read before the carrier", 1),
    ("shipments.labels", "_validate", "local checks (R15-R23)", 1),
    ("shipments.labels", "reserve", "reserve: shipment row + IntegratorTxID", 1),
    ("shipments.labels", "send_purchase", "send_purchase", 1),
    ("carriers.stamps.client", "StampsClient.create_indicium", "CreateIndicium", 2),
    ("carriers.stamps.mapping", "indicium_request", "request dicts", 3),
    ("carriers.stamps.transport", "exchange", "SOAP exchange (all calls)", 3),
    ("carriers.stamps.transport", "Transport.post", "HTTP post (all calls)", 4),
    ("carriers.stamps.transport", "read_answer", "answer parse, lxml (all calls)", 4),
    ("carriers.stamps.limits", "in_flight", "in-flight slot (all calls)", 3),
    ("carriers.stamps.client", "record_call", "call log (all calls)", 3),
    ("carriers.stamps.mapping", "indicium_from_soap", "answer to Indicium", 3),
    ("shipments.labels", "_record", "record: label, debit, order (1 tx)", 2),
    ("shipments.labels", "debit_for_label", "ledger debit", 3),
    ("shipments.label_files", "keep_answer", "label image: store or queue", 2),
    ("shipments.labels", "keep_label_image", "label image: store or queue", 2),
    ("shipments.label_files", "download_image", "image download", 3),
    ("shipments.signals", "label_bought.send", "label_bought listeners", 2),
    ("django_q.tasks", "async_task", "async_task enqueue (all)", 2),
]


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _record.active:
            return fn(*args, **kwargs)
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            _record.steps.append((name, started, time.perf_counter(), time.thread_time() - cpu))

    return wrapper


def _timed_context(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """A context manager's entering and leaving are timed; the block inside is not."""

    @contextmanager
    def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
        started, cpu = time.perf_counter(), time.thread_time()
        manager = fn(*args, **kwargs)
        value = manager.__enter__()
        if _record.active:
            _record.steps.append((name, started, time.perf_counter(), time.thread_time() - cpu))
        try:
            yield value
        except BaseException:
            if not manager.__exit__(*sys.exc_info()):
                raise
        else:
            started, cpu = time.perf_counter(), time.thread_time()
            manager.__exit__(None, None, None)
            if _record.active:
                _record.steps.append((name, started, time.perf_counter(), time.thread_time() - cpu))

    return wrapper


def _install_steps() -> list[tuple[str, int]]:
    import importlib

    shown: list[tuple[str, int]] = []
    for module_name, attribute, name, depth in STEPS:
        try:
            owner: Any = importlib.import_module(module_name)
        except ImportError:
            continue
        *path, last = attribute.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        original = getattr(owner, last, None) if owner is not None else None
        if original is None:
            continue
        wrap = _timed_context if last == "in_flight" else _timed
        setattr(owner, last, wrap(name, original))
        if (name, depth) not in shown:
            shown.append((name, depth))
    return shown


def _query_wrapper(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        if _record.active:
            _record.queries.append((started, time.perf_counter(), sql))


# --------------------------------------------------------------------------------------------
# Set-up.

ZIPS = ["94107", "10001", "60601", "73301", "98101", "33101", "02108", "80202", "85001", "30301"]


def _setup(count: int):
    from django.utils import timezone

    from carriers.models import CarrierAccount
    from carriers.stamps.sandbox import api
    from carriers.stamps.zones import state_for_zip
    from funding.purchases import sync_balance
    from locations.models import ShipFromLocation
    from merchants.models import Merchant
    from orders import addresses
    from orders.models import Order

    api.reset()
    api.create_account("bench-cost", "Bench1234", plan="pro", balance=Decimal("99999.00"))
    merchant = Merchant.objects.create(name="Bench label cost", slug="bench-label-cost")
    ship_from = ShipFromLocation.objects.create(
        merchant=merchant,
        name="Main",
        contact_name="Pat Shipper",
        street1="100 Main St",
        city="Brooklyn",
        state="NY",
        postal_code="11201",
        is_default=True,
    )
    account = CarrierAccount.objects.create(
        merchant=merchant,
        nickname="Bench",
        username="bench-cost",
        password="Bench1234",
        plan=CarrierAccount.Plan.PRO_FREE,
        is_default=True,
    )
    sync_balance(account)  # the ledger opens with the carrier's balance (R14)
    now = timezone.now()
    run = uuid.uuid4().hex[:8]
    orders = Order.objects.bulk_create(
        Order(
            merchant=merchant,
            number=f"C-{n:05d}",
            order_date=now,
            recipient_name="Jane Receiver",
            email=f"jane{n}@example.com",
            street1=f"{n + 1} Market St",
            # Its own address, this run's own too: no rate comes from a cache (Redis keeps
            # rates between runs).
            street2=f"Suite {run}",
            city="Somewhere",
            state=state_for_zip(ZIPS[n % len(ZIPS)]) or "",
            postal_code=ZIPS[n % len(ZIPS)],
            ship_from=ship_from,
            service="US-GA" if n % 2 else "US-PM",
            weight_lb=n % 5,
            weight_oz=Decimal(1 + n % 15),
        )
        for n in range(count)
    )
    orders = list(Order.objects.filter(merchant=merchant).select_related("ship_from"))
    if not UNCHECKED:
        for order in orders:
            addresses.check_ship_to(order, account)
        orders = list(
            Order.objects.filter(merchant=merchant).select_related("ship_from").order_by("pk")
        )
    account.refresh_from_db()
    return account, orders


@dataclass
class _Label:
    own_ms: float
    cpu_ms: float  # the buying thread's CPU time
    wall_ms: float
    server_ms: float
    requests: int
    queries: int
    db_ms: float
    steps: dict[str, tuple[float, float, int, float]]  # name -> (own, CPU, queries, DB ms)


def _within(start: float, end: float, t: float) -> bool:
    return start <= t <= end


def _measure_one(order, account, server: _Server) -> _Label:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shipments.labels import buy_label

    with server.lock:
        first_span = len(server.spans)
    _record.steps.clear()
    _record.queries.clear()
    _record.active = True
    cpu_started = time.thread_time()
    started = time.perf_counter()
    try:
        # Counted as Django counts them (the execute wrapper does not see COMMIT).
        with CaptureQueriesContext(connection) as captured:
            buy_label(order, account, order.service)
    finally:
        ended = time.perf_counter()
        cpu = time.thread_time() - cpu_started
        _record.active = False
    server.settle()
    with server.lock:
        spans = server.spans[first_span:]
    server_time = sum(end - start for start, end in spans)
    steps: dict[str, tuple[float, float, int, float]] = defaultdict(lambda: (0.0, 0.0, 0, 0.0))
    for name, s_start, s_end, s_cpu in _record.steps:
        busy = sum(end - start for start, end in spans if _within(s_start, s_end, start))
        queries = [q for q in _record.queries if _within(s_start, s_end, q[0])]
        own, cpu_ms, count, db = steps[name]
        steps[name] = (
            own + (s_end - s_start - busy) * 1000,
            cpu_ms + s_cpu * 1000,
            count + len(queries),
            db + sum(end - start for start, end, _ in queries) * 1000,
        )
    wall = ended - started
    return _Label(
        own_ms=(wall - server_time) * 1000,
        cpu_ms=cpu * 1000,
        wall_ms=wall * 1000,
        server_ms=server_time * 1000,
        requests=len(spans),
        queries=len(captured.captured_queries),
        db_ms=sum(end - start for start, end, _ in _record.queries) * 1000,
        steps=dict(steps),
    )


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


def _run_here() -> bool:
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_q.conf import Conf

    settings.STAMPS_SANDBOX = True
    settings.DEBUG = False
    settings.STAMPS_RETRY_BACKOFF_MS = 0
    Conf.SYNC = False  # jobs are queued, as in production; nobody runs them here
    vendor = connection.vendor
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    http = None
    try:
        from carriers.stamps import client as stamps_client

        server = _Server()
        http = _serve(WSGIHandler(), server)
        settings.STAMPS_SANDBOX_URL = (
            f"http://127.0.0.1:{http.server_port}/sandbox/stamps/swsim.asmx"
        )
        stamps_client.reset_wsdl_cache()
        account, orders = _setup(COUNT + WARMUP + 1)
        shown = _install_steps()
        with connection.execute_wrapper(_query_wrapper):
            for order in orders[:WARMUP]:
                _measure_one(order, account, server)
            profiler = cProfile.Profile() if PROFILE else None
            if profiler is not None:
                profiler.enable()
            labels = [_measure_one(order, account, server) for order in orders[WARMUP:-1]]
            if profiler is not None:
                profiler.disable()
                stats = pstats.Stats(profiler)
                stats.sort_stats("tottime").print_stats(PROFILE)
        # The same purchase once more, its queries captured by Django itself.
        with CaptureQueriesContext(connection) as captured:
            from shipments.labels import buy_label

            last = orders[-1]
            buy_label(last, account, last.service)
        server.settle()
    finally:
        if http is not None:
            http.shutdown()
            http.server_close()
        if vendor == "postgresql":
            # The server's threads kept their connections: the test database can't be
            # dropped while they are open.
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        connection.creation.destroy_test_db(old_name, verbosity=0)

    own = [label.own_ms for label in labels]
    queries = [label.queries for label in labels]
    where = f"{vendor}{' + Redis' if settings.REDIS_URL else ''}"
    print(
        f"[{where}] {len(labels)} labels bought one at a time "
        f"({'addresses unchecked' if UNCHECKED else 'addresses checked at import'}); "
        f"per label: wall {statistics.median([x.wall_ms for x in labels]):.1f} ms, sandbox "
        f"server {statistics.median([x.server_ms for x in labels]):.1f} ms over "
        f"{statistics.median([x.requests for x in labels]):.0f} requests"
    )
    print(
        f"[{where}] ShipDesk's own time per label: median {statistics.median(own):.2f} ms, "
        f"p90 {_p90(own):.2f} ms; SQL queries per label: {min(queries)}-{max(queries)} "
        f"(CaptureQueriesContext: {len(captured.captured_queries)}); "
        f"DB time {statistics.mean([x.db_ms for x in labels]):.2f} ms"
    )
    cpu = [label.cpu_ms for label in labels]
    print(
        f"[{where}] the buying thread's CPU time per label (hardly moved by other processes, "
        f"blind to waits on a database server): median {statistics.median(cpu):.2f} ms, "
        f"p90 {_p90(cpu):.2f} ms"
    )
    print(
        f"[{where}] breakdown, mean per label: own ms (wall minus sandbox) | its CPU ms | "
        "queries | DB ms"
    )
    for name, depth in shown:
        per = [label.steps.get(name, (0.0, 0.0, 0, 0.0)) for label in labels]
        step_own, step_cpu, step_queries, step_db = (
            statistics.mean(p[i] for p in per) for i in range(4)
        )
        print(
            f"[{where}]   {'  ' * (depth - 1)}{name:<{46 - 2 * depth}} "
            f"{step_own:7.2f} | {step_cpu:6.2f} | {step_queries:5.1f} | {step_db:6.2f}"
        )
    if SHOW_SQL:
        for query in captured.captured_queries:
            print(f"[{where}]   SQL {query['sql'][:160]}")
    ok_time = statistics.median(own) <= TARGET_MS
    ok_queries = max(queries) <= TARGET_QUERIES and len(captured.captured_queries) <= TARGET_QUERIES
    print(
        f"[{where}] own time median {statistics.median(own):.2f} ms (target <= {TARGET_MS:g}) "
        f"{'OK' if ok_time else 'MISSED'}; queries {max(queries)} (target <= {TARGET_QUERIES}) "
        f"{'OK' if ok_queries else 'MISSED'}"
    )
    return ok_time and ok_queries


def _run_on_sqlite() -> bool:
    """The same bench on SQLite, in a child process (one process has one database set-up)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env[CHILD] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "label_cost"], cwd=ROOT, env=env, check=False
    )
    return done.returncode == 0


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipdesk.settings")
    import django

    django.setup()
    from django.db import connection

    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    ok = _run_here()
    sys.stdout.flush()
    if connection.vendor == "postgresql" and not os.environ.get(CHILD):
        ok = _run_on_sqlite() and ok
    if not os.environ.get(CHILD):
        print("label cost: " + ("OK" if ok else "MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
