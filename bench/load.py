"""Load: ShipDesk in its production shape under concurrent clients on 127.0.0.1.

Starts a throwaway PostgreSQL (initdb as the postgres user, pg_ctl on a free port, see
ENVIRONMENT.md) and a throwaway Redis (broker and cache, sessions in the cache), migrates and
seeds a merchant with LOAD_ORDERS orders plus LOAD_BUY_ORDERS shippable ones (ship-from,
service and package weight set) and a Stamps.com sandbox account funded with $1,000,000, then
serves ShipDesk with gunicorn in production mode (DEBUG off, gunicorn.conf.py: gthread,
LOAD_WORKERS processes x LOAD_THREADS threads) beside a short-jobs qcluster (purchase
follow-ups, label files, tracking, auto-funding). The Stamps.com sandbox answers from a
gunicorn of its own, as the carrier is another system whose waits must not hold ShipDesk's
threads (it still shares the machine's cores, which makes the figures pessimistic).

For LOAD_SECONDS, LOAD_CLIENTS threads each loop over a mix: the order list (pages, a status
filter), substring search, order pages, the rates panel (the htmx fragment, GetRates at the
sandbox), label buying (the panel, then its form posted with its CSRF token, each order bought
once), the shipments list, the funds page and the bare view of bench/load_app.py (one query
for 50 rows, a plain template, the same middleware), so the bare view's p95 is measured under
the very same load. Reports throughput and p50/p95/p99 per endpoint, ShipDesk's p95 over
every page but the bare one against the bare view's (target <= LOAD_TARGET, 3x), and checks
that there were no errors, that each label bought exists once at the sandbox and that the
jobs the purchases queued ran without a failure. Non-zero exit on any miss. Everything is
stopped and removed at the end.

Run: python -m bench load   (LOAD_SECONDS=60 after LOAD_WARMUP=5, LOAD_CLIENTS=16 LOAD_ORDERS=5000
LOAD_BUY_ORDERS=3000 LOAD_WORKERS=cores LOAD_THREADS=8 LOAD_Q_WORKERS=2 LOAD_TARGET=3)
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
WARMUP = float(os.environ.get("LOAD_WARMUP", "5"))
CLIENTS = int(os.environ.get("LOAD_CLIENTS", "16"))
ORDERS = int(os.environ.get("LOAD_ORDERS", "5000"))
BUY_ORDERS = int(os.environ.get("LOAD_BUY_ORDERS", "3000"))
# gunicorn.conf.py's production defaults: a process per core, 8 threads each.
WORKERS = int(os.environ.get("LOAD_WORKERS", str(os.cpu_count() or 2)))
THREADS = int(os.environ.get("LOAD_THREADS", "8"))
Q_WORKERS = int(os.environ.get("LOAD_Q_WORKERS", "2"))
TARGET = float(os.environ.get("LOAD_TARGET", "3"))
FUNDS = "1000000.00"
SANDBOX_USER = "load-demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs)


class Postgres:
    """A throwaway server in a temp dir; as root, initdb and pg_ctl run as postgres."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="shipdesk-load-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def start(self) -> str:
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")
        run([*self.as_postgres, str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
             "--auth=trust"])  # fmt: skip
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k /tmp -c fsync=off"
        run([*self.as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
             "-l", str(self.dir / "log"), "-w", "start"])  # fmt: skip
        run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "shipdesk"])  # fmt: skip
        return f"postgres://postgres@127.0.0.1:{self.port}/shipdesk"

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [*self.as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                 "stop"],
                capture_output=True,
            )  # fmt: skip
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    """A throwaway redis-server: memory only, loopback, its log in a temp dir."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="shipdesk-load-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> str:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.dir), "--logfile",
             str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port).ping()
                return f"redis://127.0.0.1:{self.port}/0"
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(
                        f"redis-server did not start (see {self.dir}/redis.log)"
                    ) from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 20 s: one of the processes this benchmark started."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def fill_orders(merchant, count: int) -> None:
    import datetime as dt
    from decimal import Decimal

    from orders.models import Order, OrderItem

    cities = [("Jane Doe", "San Francisco", "CA", "94105"), ("Tom Becker", "Chicago", "IL",
              "60606"), ("Aisha Patel", "New York", "NY", "10118")]  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    for offset in range(0, count, 5000):
        orders = []
        for i in range(offset, min(offset + 5000, count)):
            name, city, state, postal = cities[i % len(cities)]
            orders.append(
                Order(merchant=merchant, number=f"B-{i:07}", store="Shopify",
                      order_date=now - dt.timedelta(minutes=i),
                      status="awaiting_shipment" if i % 5 else "shipped", recipient_name=name,
                      street1=f"{i} Main St", city=city, state=state, postal_code=postal,
                      country="US", total=Decimal("25.00"))
            )  # fmt: skip
        Order.objects.bulk_create(orders)
        OrderItem.objects.bulk_create(
            OrderItem(order=o, sku=f"SKU-{o.pk % 7}", name="Thing", unit_price=Decimal("25.00"))
            for o in orders
        )


def fill_shippable(merchant, count: int) -> list[int]:
    """Orders a label can be bought for: ship-from, service and package weight set."""
    import datetime as dt
    from decimal import Decimal

    from orders.models import Order, OrderItem
    from tests.factories import make_ship_from

    ship_from = make_ship_from(merchant)
    # Deliverable addresses: the sandbox checks the state against the ZIP code, as USPS does.
    places = [
        ("94105", "San Francisco", "CA"), ("10001", "New York", "NY"), ("60601", "Chicago", "IL"),
        ("78701", "Austin", "TX"), ("98101", "Seattle", "WA"), ("33101", "Miami", "FL"),
        ("02108", "Boston", "MA"), ("80202", "Denver", "CO"),
    ]  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    orders = Order.objects.bulk_create(
        Order(merchant=merchant, number=f"L-{i:06}", store="Shopify", order_date=now,
              status="awaiting_shipment", recipient_name="Jane Receiver",
              street1=f"{i + 1} Market St", city=places[i % 8][1], state=places[i % 8][2],
              postal_code=places[i % 8][0], country="US", total=Decimal("25.00"),
              ship_from=ship_from, service="US-PM", package_type="Package",
              weight_lb=i % 3, weight_oz=Decimal(1 + i % 15), confirmation="tracking")
        for i in range(count)
    )  # fmt: skip
    OrderItem.objects.bulk_create(
        OrderItem(order=o, sku="SKU-L", name="Thing", unit_price=Decimal("25.00")) for o in orders
    )
    return [o.pk for o in orders]


def seed() -> None:
    """Run in a child process with the server's environment: print what the clients need."""
    import django

    django.setup()
    from decimal import Decimal
    from importlib import import_module

    from django.conf import settings

    from carriers.models import CarrierAccount
    from carriers.stamps.sandbox import api
    from orders.models import Order
    from tests.factories import make_merchant

    merchant = make_merchant("Load Goods", owner_email="load@bench.test")
    owner = merchant.memberships.get().user
    fill_orders(merchant, ORDERS)
    shippable = fill_shippable(merchant, BUY_ORDERS)
    # The demo carrier account, funded at the sandbox and in ShipDesk alike.
    api.create_account(SANDBOX_USER, "LoadDemo1234", plan="pro", balance=Decimal(FUNDS))
    CarrierAccount.objects.create(
        merchant=merchant, nickname="Demo postage", username=SANDBOX_USER,
        password="LoadDemo1234", status=CarrierAccount.Status.ACTIVE,
        plan=CarrierAccount.Plan.PRO_FREE, balance=Decimal(FUNDS), is_default=True,
    )  # fmt: skip
    # The session engine the server uses (cached_db on Redis), so it finds this one.
    # One sign-in per client, as many people at one store would have.
    sessions = []
    for _ in range(CLIENTS):
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session["_auth_user_id"] = str(owner.pk)
        session["_auth_user_backend"] = "merchants.auth.EmailBackend"
        session["_auth_user_hash"] = owner.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
    ids = list(
        Order.objects.filter(merchant=merchant, ship_from__isnull=True).values_list(
            "pk", flat=True
        )[:2000]
    )
    print(json.dumps({"sessions": sessions, "orders": ids, "shippable": shippable}))


def check() -> None:
    """Run in a child process after the load: labels in ShipDesk against the sandbox's."""
    import django

    django.setup()
    from collections import Counter

    from django_q.brokers import get_broker
    from django_q.models import Failure

    from carriers.stamps.sandbox import api
    from shipments.models import LabelFile, Shipment

    made = Counter(i.integrator_tx_id for i in api.indicia(SANDBOX_USER))
    ours = set(
        Shipment.objects.filter(status=Shipment.Status.BOUGHT).values_list(
            "integrator_tx_id", flat=True
        )
    )
    print(
        json.dumps(
            {
                "labels": len(ours),
                "indicia": sum(made.values()),
                "twice": sum(1 for n in made.values() if n > 1),
                "mismatched": len(set(made) ^ ours),
                "buying": Shipment.objects.filter(status=Shipment.Status.BUYING).count(),
                # The label files the short-jobs cluster prepares after each purchase.
                "files": LabelFile.objects.count(),
                "unprepared": LabelFile.objects.filter(prepared="").count(),
                "queued": get_broker().queue_size() or 0,
                "failed_jobs": sorted({f.func for f in Failure.objects.all()}),
            }
        )
    )


TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
SERVICE = re.compile(rb'name="service" value="([^"]+)"')
# (endpoint, share of the mix). "bare" is the baseline, not one of ShipDesk's pages.
MIX = [
    ("order list", 0.16),
    ("search", 0.12),
    ("order page", 0.14),
    ("rates panel", 0.14),
    ("buy label", 0.10),
    ("shipments list", 0.08),
    ("funds page", 0.06),
    ("bare", 0.20),
]
ENDPOINTS = [name for name, _ in MIX]
PAGES = [name for name in ENDPOINTS if name != "bare"]
# Substrings the way people type them: part of an order number, a name, a city, a street.
LISTS = ["/orders/", "/orders/?status=shipped", "/orders/?status=awaiting_shipment"]
SEARCHES = ["B-00012", "0034", "Becker", "jane", "Chicago", "Main St", "4417", "York"]


def pick(rng: random.Random) -> str:
    roll = rng.random()
    for name, share in MIX:
        if roll < share:
            return name
        roll -= share
    return MIX[-1][0]


def drive(
    base: str, sessions: list[str], order_ids: list[int], shippable: list[int]
) -> tuple[dict[str, list[float]], dict[str, list[str]], float, int]:
    import requests

    latencies: dict[str, list[float]] = {name: [] for name in ENDPOINTS}
    errors: dict[str, list[str]] = {name: [] for name in ENDPOINTS}
    lock = threading.Lock()
    # Timed after a warm-up (each process's first SOAP call loads the WSDL, caches fill), as
    # a server that has been up a while; an error in the warm-up still counts.
    measured_from = time.monotonic() + WARMUP
    deadline = measured_from + SECONDS
    out_of_orders = [0]

    def client(n: int) -> None:
        rng = random.Random(n)
        # Each client buys its own orders, so no two buy the same one.
        mine = shippable[n::CLIENTS]
        rng.shuffle(mine)
        with requests.Session() as http:
            # The cookies are Secure in production mode: send them by hand over http.
            cookies = {"sessionid": sessions[n]}
            http.headers["X-Forwarded-Proto"] = "https"

            def timed(name: str, method: str, path: str, ok, headers=None, **kwargs):
                headers = {
                    **(headers or {}),
                    "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
                }
                started, began = time.perf_counter(), time.monotonic()
                response = None
                try:
                    response = http.request(method, base + path, timeout=30,
                                            allow_redirects=False,
                                            headers=headers, **kwargs)  # fmt: skip
                    problem = "" if ok(response) else f"{response.status_code} {method} {path}"
                    if problem and response.headers.get("Location"):
                        problem += f" -> {response.headers['Location']}"
                except requests.RequestException as exc:
                    problem = f"{type(exc).__name__} {method} {path}"
                elapsed = time.perf_counter() - started
                if response is not None:
                    # As a browser keeps them (the messages cookie carries a failure's reason).
                    cookies.update(response.cookies.get_dict())
                if problem and response is not None and response.status_code == 302:
                    # A refused purchase goes back to the order page with the reason.
                    problem += f": {_reason(http, base, response.headers['Location'], cookies)}"
                with lock:
                    if began >= measured_from:
                        latencies[name].append(elapsed)
                    if problem:
                        errors[name].append(problem)
                return None if problem else response

            def page(r) -> bool:
                return r.status_code == 200 and b"</html>" in r.content

            def panel(r) -> bool:
                return (
                    r.status_code == 200
                    and (b'id="rates-table"' in r.content or b"Label created" in r.content)
                    and b'data-testid="rates-error"' not in r.content
                )

            def bought(r) -> bool:
                return r.status_code == 302 and "/shipments/" in r.headers.get("Location", "")

            htmx = {"HX-Request": "true"}
            while time.monotonic() < deadline:
                name = pick(rng)
                if name == "order list":
                    path = rng.choice(
                        ["/orders/", "/orders/?status=shipped", "/orders/?status=awaiting_shipment"]
                    )
                    timed(name, "GET", path, page)
                elif name == "search":
                    timed(name, "GET", f"/orders/?q={rng.choice(SEARCHES)}", page)
                elif name == "shipments list":
                    timed(name, "GET", "/shipments/", page)
                elif name == "funds page":
                    timed(name, "GET", "/funds/", page)
                elif name == "bare":
                    timed(name, "GET", "/bench/bare/", page)
                elif name == "order page":
                    order = rng.choice(order_ids + shippable)
                    timed(name, "GET", f"/orders/{order}/", page)
                elif name == "rates panel":
                    order = rng.choice(shippable)
                    timed(name, "GET", f"/orders/{order}/rates/", panel, headers=htmx)
                else:
                    if not mine:
                        out_of_orders[0] += 1
                        continue
                    order = mine.pop()
                    # As the page does: the rates panel, then its form posted.
                    shown = timed("rates panel", "GET", f"/orders/{order}/rates/", panel)
                    if shown is None:
                        continue
                    token = TOKEN.search(shown.content)
                    service = SERVICE.search(shown.content)
                    if not (token and service):
                        with lock:
                            errors[name].append(f"no buy form on /orders/{order}/rates/")
                        continue
                    form = {"csrfmiddlewaretoken": token.group(1).decode(),
                            "service": service.group(1).decode()}  # fmt: skip
                    timed(name, "POST", f"/orders/{order}/buy/", bought, data=form,
                          headers={"Origin": base.replace("http://", "https://"),
                                   "Referer": base.replace("http://", "https://")
                                   + f"/orders/{order}/"})  # fmt: skip

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.monotonic() - measured_from, out_of_orders[0]


def _reason(http, base: str, path: str, cookies: dict[str, str]) -> str:
    """The message a failed purchase left for the merchant, as the order page shows it."""
    import requests

    try:
        page = http.get(
            path if path.startswith("http") else base + path,
            headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
            timeout=30,
        )
    except requests.RequestException as exc:
        return f"({type(exc).__name__} reading the reason)"
    found = re.findall(rb'<li class="message message-[a-z ]+">(.*?)</li>', page.content, re.S)
    return " / ".join(m.decode(errors="replace").strip() for m in found) or "no message"


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def main() -> int:
    if not (PG_BIN / "initdb").exists():
        print(f"SKIP: no PostgreSQL at {PG_BIN} (apt-get install postgresql, or set PG_BIN)")
        return 0
    if shutil.which("redis-server") is None:
        print("SKIP: no redis-server (scripts/bootstrap installs it with CI=true)")
        return 0
    pg, redis = Postgres(), Redis()
    processes: list[subprocess.Popen] = []
    var = Path(tempfile.mkdtemp(prefix="shipdesk-load-var-"))
    try:
        redis_url = redis.start()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "shipdesk.settings",
            "DATABASE_URL": pg.start(),
            "REDIS_URL": redis_url,
            "DEBUG": "0",
            "SECRET_KEY": "load-bench-" + "k" * 60,
            "FIELD_ENCRYPTION_KEYS": "mG4kNc0f1cG1nVYbUwrv8kMYbZ7A1Q2hD3Xc0n4f5aY=",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SHIPDESK_VAR_DIR": str(var),
            "LOG_LEVEL": "WARNING",
            "STAMPS_INTEGRATION_ID": "00000000-0000-0000-0000-000000000000",
            "Q_WORKERS": str(Q_WORKERS),
        }
        env.pop("SHIPDESK_TESTING", None)
        python = sys.executable
        port, sandbox_port = free_port(), free_port()
        base = f"http://127.0.0.1:{port}"
        env["STAMPS_SANDBOX"] = "1"
        env["STAMPS_SANDBOX_LOAD_BENCHMARK"] = "1"  # production mode refuses it otherwise
        env["STAMPS_SANDBOX_URL"] = f"http://127.0.0.1:{sandbox_port}/sandbox/stamps/swsim.asmx"
        run([python, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env)
        run([python, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=env)
        seeded = json.loads(
            run([python, "-m", "bench.load", "--seed"], cwd=ROOT, env=env).stdout.splitlines()[-1]
        )

        def start(name: str, cmd: list[str]) -> subprocess.Popen:
            log = open(var / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
            process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log)
            process.log = var / f"{name}.log"  # type: ignore[attr-defined]
            processes.append(process)
            return process

        # gunicorn.conf.py (read from ROOT) sets gthread and the timeouts; the counts here.
        gunicorn = [python, "-m", "gunicorn", "--log-level", "warning"]
        # The carrier never makes a call ShipDesk allows in flight wait for a thread of its own
        # (STAMPS_MAX_IN_FLIGHT, 10 per account) nor for another call's GIL.
        sandbox = start("sandbox", [*gunicorn, "shipdesk.wsgi", "-b", f"127.0.0.1:{sandbox_port}",
                                    "-w", "2", "--threads", "8"])  # fmt: skip
        server = start("gunicorn", [*gunicorn, "bench.load_app:application", "-b",
                                    f"127.0.0.1:{port}", "-w", str(WORKERS), "--threads",
                                    str(THREADS)])  # fmt: skip
        cluster = start("qcluster", [python, "manage.py", "qcluster"])
        _wait_healthy(f"http://127.0.0.1:{sandbox_port}", sandbox)
        _wait_healthy(base, server)
        latencies, errors, elapsed, out_of_orders = drive(
            base, seeded["sessions"], seeded["orders"], seeded["shippable"]
        )
        # The purchases' follow-up jobs finish after the clients stop: wait for them (bounded).
        deadline = time.monotonic() + 60
        while True:
            after = json.loads(
                run([python, "-m", "bench.load", "--check"], cwd=ROOT, env=env).stdout.splitlines()[
                    -1
                ]
            )
            drained = not after["queued"] and not after["unprepared"]
            if drained or time.monotonic() > deadline or cluster.poll() is not None:
                break
            time.sleep(1)
        load = os.getloadavg()
        print(
            f"gunicorn {WORKERS} workers x {THREADS} threads (gthread) + a short-jobs qcluster "
            f"({Q_WORKERS} workers) on PostgreSQL and Redis, the sandbox in a gunicorn of its "
            f"own; {ORDERS:,} + {BUY_ORDERS:,} shippable orders, {CLIENTS} clients for "
            f"{elapsed:.1f} s after {WARMUP:g} s of warm-up; load average {load[0]:.2f} "
            f"{load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores"
        )
        every = [x for name in PAGES for x in latencies[name]]
        problems = [p for name in ENDPOINTS for p in errors[name]]
        for name, values, errs in [
            *((n, latencies[n], errors[n]) for n in ENDPOINTS),
            ("ShipDesk pages", every, [p for n in PAGES for p in errors[n]]),
        ]:
            print(f"  {name:<16} {_figures(values, errs, elapsed)}")
        total = sum(len(v) for v in latencies.values())
        print(
            f"  throughput: {total / elapsed:.1f} req/s, {total} requests, {len(problems)} errors"
        )
        print(
            f"labels: {after['labels']} bought in ShipDesk, {after['indicia']} at the sandbox, "
            f"{after['twice']} made twice, {after['mismatched']} on one side only, "
            f"{after['buying']} left buying; label files {after['files']} stored, "
            f"{after['unprepared']} unprepared, {after['queued']} jobs still queued, failed jobs: "
            f"{', '.join(after['failed_jobs']) or 'none'}"
            + (f"; buys skipped, out of orders: {out_of_orders}" if out_of_orders else "")
        )
        for problem in sorted(set(problems))[:10]:
            print(f"  error: {problem}")
        ok = True
        if len(every) < 2 or len(latencies["bare"]) < 2:
            print("MISS: too few requests to measure")
            return 1
        ours, bare = (
            percentile([x * 1000 for x in every], 95),
            percentile([x * 1000 for x in latencies["bare"]], 95),
        )
        ratio = ours / bare
        verdict = "ok" if ratio <= TARGET else "MISS"
        ok &= ratio <= TARGET
        print(
            f"{verdict}: ShipDesk's p95 {ours:.1f} ms vs the bare view's p95 {bare:.1f} ms under "
            f"the same load: {ratio:.2f}x (target <= {TARGET:g}x)"
        )
        label_problems = (
            after["twice"] or after["mismatched"] or after["buying"] or after["failed_jobs"]
        )
        if problems or label_problems or after["unprepared"] or after["queued"]:
            print(
                f"MISS: {len(problems)} errors, labels or jobs wrong (see above); errors must be 0"
            )
            ok = False
        else:
            print("ok: 0 errors, each label once at the sandbox, every follow-up job done")
        return 0 if ok else 1
    except Exception:
        for process in processes:
            log = getattr(process, "log", None)
            if log and log.exists():
                print(f"--- {log.name} (last lines) ---\n" + log.read_text()[-2000:])
        raise
    finally:
        for process in reversed(processes):
            stop(process)
        pg.stop()
        redis.stop()
        shutil.rmtree(var, ignore_errors=True)


def _figures(values: list[float], errors: list[str], elapsed: float) -> str:
    if len(values) < 2:
        return f"requests {len(values)}, errors {len(errors)}"
    ms = [x * 1000 for x in values]
    return (
        f"requests {len(ms):>6}, {len(ms) / elapsed:7.1f} req/s, p50 {percentile(ms, 50):7.1f} "
        f"ms, p95 {percentile(ms, 95):7.1f} ms, p99 {percentile(ms, 99):7.1f} ms, "
        f"errors {len(errors)}"
    )


def _wait_healthy(base: str, server: subprocess.Popen) -> None:
    import requests

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn at {base} exited")
        try:
            if requests.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz within 30 s")


if __name__ == "__main__":
    if sys.argv[1:] == ["--seed"]:
        seed()
    elif sys.argv[1:] == ["--check"]:
        check()
    else:
        sys.exit(main())
