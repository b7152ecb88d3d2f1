"""Load: ShipDesk under gunicorn on PostgreSQL, driven by concurrent clients on 127.0.0.1.

Starts a throwaway PostgreSQL (initdb as the postgres user, pg_ctl on a free port, see
ENVIRONMENT.md), migrates and seeds a merchant with LOAD_ORDERS orders, serves ShipDesk with
gunicorn in production mode (DEBUG off), then for LOAD_SECONDS has LOAD_CLIENTS threads
fetch the order list (pages, filters, search) and order pages. Reports throughput,
p50/p95/p99 latency and the error count, which must be 0. Everything is stopped and removed
at the end. Rates and label buying join the mix once the shipments app is committed.

Run: python -m bench load   (LOAD_SECONDS=20 LOAD_CLIENTS=8 LOAD_ORDERS=5000 LOAD_WORKERS=2)
"""

from __future__ import annotations

import json
import os
import random
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


def seed() -> None:
    """Run in a child process with the server's environment: print what the clients need."""
    import django

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore

    from orders.models import Order
    from tests.factories import make_merchant

    merchant = make_merchant("Load Goods", owner_email="load@bench.test")
    owner = merchant.memberships.get().user
    fill_orders(merchant, ORDERS)
    session = SessionStore()
    session["_auth_user_id"] = str(owner.pk)
    session["_auth_user_backend"] = "shipdesk.auth.EmailBackend"
    session["_auth_user_hash"] = owner.get_session_auth_hash()
    session.create()
    ids = list(Order.objects.filter(merchant=merchant).values_list("pk", flat=True)[:2000])
    print(json.dumps({"session": session.session_key, "orders": ids}))


def urls(order_ids: list[int], rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return "/orders/"
    if roll < 0.5:
        return f"/orders/?page={rng.randint(2, 20)}"
    if roll < 0.6:
        return rng.choice(["/orders/?status=shipped", "/orders/?q=Chicago", "/orders/?q=B-00012"])
    return f"/orders/{rng.choice(order_ids)}/"


def drive(base: str, cookie: str, order_ids: list[int]) -> tuple[list[float], list[str], float]:
    import requests

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def client(n: int) -> None:
        rng = random.Random(n)
        with requests.Session() as http:
            # The session cookie is Secure in production mode: send it by hand over http.
            http.headers["Cookie"] = f"sessionid={cookie}"
            http.headers["X-Forwarded-Proto"] = "https"
            while time.monotonic() < deadline:
                path = urls(order_ids, rng)
                started = time.perf_counter()
                try:
                    response = http.get(base + path, timeout=30, allow_redirects=False)
                    ok = response.status_code == 200 and b"</html>" in response.content
                    problem = "" if ok else f"{response.status_code} {path}"
                except requests.RequestException as exc:
                    problem = f"{type(exc).__name__} {path}"
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if problem:
                        errors.append(problem)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.monotonic() - started


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
        }
        env.pop("SHIPDESK_TESTING", None)
        python = sys.executable
        run([python, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env)
        run([python, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=env)
        seeded = json.loads(
            run([python, "-m", "bench.load", "--seed"], cwd=ROOT, env=env).stdout.splitlines()[-1]
        )
        port = free_port()
        server = subprocess.Popen(
            [python, "-m", "gunicorn", "shipdesk.wsgi", "-b", f"127.0.0.1:{port}",
             "-w", str(WORKERS), "--threads", "4", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        _wait_healthy(base, server)
        latencies, errors, elapsed = drive(base, seeded["session"], seeded["orders"])
        ms = [x * 1000 for x in latencies]
        print(
            f"gunicorn {WORKERS} workers x 4 threads on PostgreSQL, {ORDERS:,} orders, "
            f"{CLIENTS} clients for {elapsed:.1f} s (order list, filters, search, order pages)"
        )
        print(
            f"requests: {len(ms)}, throughput {len(ms) / elapsed:.1f} req/s, "
            f"p50 {percentile(ms, 50):.1f} ms, p95 {percentile(ms, 95):.1f} ms, "
            f"p99 {percentile(ms, 99):.1f} ms, errors {len(errors)}"
        )
        for problem in sorted(set(errors))[:10]:
            print(f"  error: {problem}")
        return 1 if errors or not ms else 0
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
    else:
        sys.exit(main())
