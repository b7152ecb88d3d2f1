"""Load: ShipDesk under gunicorn on PostgreSQL, driven by concurrent clients on 127.0.0.1.

Starts a throwaway PostgreSQL (initdb as the postgres user, pg_ctl on a free port, see
ENVIRONMENT.md), migrates and seeds a merchant with LOAD_ORDERS orders plus LOAD_BUY_ORDERS
shippable ones (ship-from, service and package weight set) and a Stamps.com sandbox account
funded with $1,000,000, serves ShipDesk with gunicorn in production mode (DEBUG off) with the
sandbox mounted in the same gunicorn (STAMPS_SANDBOX=1, STAMPS_SANDBOX_URL pointing at it),
then for LOAD_SECONDS has LOAD_CLIENTS threads fetch the order list (pages, filters, search),
order pages, the rates panel (the htmx fragment, GetRates at the sandbox) and buy labels
(POST to the buy view with the CSRF token of the rates panel, each order bought once).
Reports throughput, p50/p95/p99 latency and errors per endpoint and overall (errors must be
0), and checks afterwards that each label exists once at the sandbox. Everything is stopped
and removed at the end.

Run: python -m bench load   (LOAD_SECONDS=20 LOAD_CLIENTS=8 LOAD_ORDERS=5000 LOAD_WORKERS=2
LOAD_BUY_ORDERS=3000; gunicorn threads per worker: LOAD_THREADS, LOAD_CLIENTS + 4, so a page
waiting on the sandbox in the same server always finds a free thread)
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
SECONDS = float(os.environ.get("LOAD_SECONDS", "20"))
CLIENTS = int(os.environ.get("LOAD_CLIENTS", "8"))
ORDERS = int(os.environ.get("LOAD_ORDERS", "5000"))
WORKERS = int(os.environ.get("LOAD_WORKERS", "2"))
BUY_ORDERS = int(os.environ.get("LOAD_BUY_ORDERS", "3000"))
THREADS = int(os.environ.get("LOAD_THREADS", str(CLIENTS + 4)))
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
    zips = ["94105", "10001", "60601", "73301", "98101", "33101", "02108", "80202"]
    now = dt.datetime.now(dt.UTC)
    orders = Order.objects.bulk_create(
        Order(merchant=merchant, number=f"L-{i:06}", store="Shopify", order_date=now,
              status="awaiting_shipment", recipient_name="Jane Receiver",
              street1=f"{i} Market St", city="Somewhere", state="CA",
              postal_code=zips[i % len(zips)], country="US", total=Decimal("25.00"),
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

    from django.contrib.sessions.backends.db import SessionStore

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
    session = SessionStore()
    session["_auth_user_id"] = str(owner.pk)
    session["_auth_user_backend"] = "merchants.auth.EmailBackend"
    session["_auth_user_hash"] = owner.get_session_auth_hash()
    session.create()
    ids = list(
        Order.objects.filter(merchant=merchant, ship_from__isnull=True).values_list(
            "pk", flat=True
        )[:2000]
    )
    print(json.dumps({"session": session.session_key, "orders": ids, "shippable": shippable}))


def check() -> None:
    """Run in a child process after the load: labels in ShipDesk against the sandbox's."""
    import django

    django.setup()
    from collections import Counter

    from carriers.stamps.sandbox import api
    from shipments.models import Shipment

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
            }
        )
    )


TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
SERVICE = re.compile(rb'name="service" value="([^"]+)"')
ENDPOINTS = ["order list", "order list filtered", "order page", "rates panel", "buy label"]


def pick(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.25:
        return "order list"
    if roll < 0.4:
        return "order list filtered"
    if roll < 0.62:
        return "order page"
    if roll < 0.87:
        return "rates panel"
    return "buy label"


def drive(
    base: str, cookie: str, order_ids: list[int], shippable: list[int]
) -> tuple[dict[str, list[float]], dict[str, list[str]], float, int]:
    import requests

    latencies: dict[str, list[float]] = {name: [] for name in ENDPOINTS}
    errors: dict[str, list[str]] = {name: [] for name in ENDPOINTS}
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS
    out_of_orders = [0]

    def client(n: int) -> None:
        rng = random.Random(n)
        # Each client buys its own orders, so no two buy the same one.
        mine = shippable[n::CLIENTS]
        rng.shuffle(mine)
        with requests.Session() as http:
            # The cookies are Secure in production mode: send them by hand over http.
            cookies = {"sessionid": cookie}
            http.headers["X-Forwarded-Proto"] = "https"

            def timed(name: str, method: str, path: str, ok, headers=None, **kwargs):
                headers = {
                    **(headers or {}),
                    "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
                }
                started = time.perf_counter()
                response = None
                try:
                    response = http.request(method, base + path, timeout=30,
                                            allow_redirects=False,
                                            headers=headers, **kwargs)  # fmt: skip
                    problem = "" if ok(response) else f"{response.status_code} {method} {path}"
                except requests.RequestException as exc:
                    problem = f"{type(exc).__name__} {method} {path}"
                elapsed = time.perf_counter() - started
                with lock:
                    latencies[name].append(elapsed)
                    if problem:
                        errors[name].append(problem)
                if response is not None and "csrftoken" in response.cookies:
                    cookies["csrftoken"] = response.cookies["csrftoken"]
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
                    path = rng.choice(["/orders/", f"/orders/?page={rng.randint(2, 20)}"])
                    timed(name, "GET", path, page)
                elif name == "order list filtered":
                    path = rng.choice(
                        ["/orders/?status=shipped", "/orders/?q=Chicago", "/orders/?q=B-00012"]
                    )
                    timed(name, "GET", path, page)
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
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.monotonic() - started, out_of_orders[0]


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def main() -> int:
    if not (PG_BIN / "initdb").exists():
        print(f"SKIP: no PostgreSQL at {PG_BIN} (apt-get install postgresql, or set PG_BIN)")
        return 0
    pg = Postgres()
    server = None
    var = Path(tempfile.mkdtemp(prefix="shipdesk-load-var-"))
    try:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "shipdesk.settings",
            "DATABASE_URL": pg.start(),
            "DEBUG": "0",
            "SECRET_KEY": "load-bench-" + "k" * 60,
            "FIELD_ENCRYPTION_KEYS": "mG4kNc0f1cG1nVYbUwrv8kMYbZ7A1Q2hD3Xc0n4f5aY=",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SHIPDESK_VAR_DIR": str(var),
            "LOG_LEVEL": "WARNING",
            "STAMPS_INTEGRATION_ID": "00000000-0000-0000-0000-000000000000",
        }
        env.pop("SHIPDESK_TESTING", None)
        python = sys.executable
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        # The Stamps.com sandbox is served by the same gunicorn.
        env["STAMPS_SANDBOX"] = "1"
        env["STAMPS_SANDBOX_LOAD_BENCHMARK"] = "1"  # production mode refuses it otherwise
        env["STAMPS_SANDBOX_URL"] = f"{base}/sandbox/stamps/swsim.asmx"
        run([python, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env)
        run([python, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=env)
        seeded = json.loads(
            run([python, "-m", "bench.load", "--seed"], cwd=ROOT, env=env).stdout.splitlines()[-1]
        )
        server = subprocess.Popen(
            [python, "-m", "gunicorn", "shipdesk.wsgi", "-b", f"127.0.0.1:{port}",
             "-w", str(WORKERS), "--threads", str(THREADS), "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        _wait_healthy(base, server)
        latencies, errors, elapsed, out_of_orders = drive(
            base, seeded["session"], seeded["orders"], seeded["shippable"]
        )
        after = json.loads(
            run([python, "-m", "bench.load", "--check"], cwd=ROOT, env=env).stdout.splitlines()[-1]
        )
        print(
            f"gunicorn {WORKERS} workers x {THREADS} threads on PostgreSQL (sandbox in the same "
            f"server), {ORDERS:,} + {BUY_ORDERS:,} shippable orders, {CLIENTS} clients for "
            f"{elapsed:.1f} s"
        )
        every = [x for name in ENDPOINTS for x in latencies[name]]
        problems = [p for name in ENDPOINTS for p in errors[name]]
        for name, values, errs in [
            *((n, latencies[n], errors[n]) for n in ENDPOINTS),
            ("overall", every, problems),
        ]:
            print(f"  {name:<20} {_figures(values, errs, elapsed)}")
        print(
            f"labels: {after['labels']} bought in ShipDesk, {after['indicia']} at the sandbox, "
            f"{after['twice']} made twice, {after['mismatched']} on one side only, "
            f"{after['buying']} left buying"
            + (f"; buys skipped, out of orders: {out_of_orders}" if out_of_orders else "")
        )
        for problem in sorted(set(problems))[:10]:
            print(f"  error: {problem}")
        label_problems = after["twice"] or after["mismatched"] or after["buying"]
        return 1 if problems or label_problems or not every else 0
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        pg.stop()
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
            raise RuntimeError(f"gunicorn exited: {server.stderr.read()[-2000:]}")
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
