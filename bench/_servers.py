"""Throwaway PostgreSQL and Redis for a benchmark that needs them when the environment has
none (no DATABASE_URL to PostgreSQL or no REDIS_URL): the same set-up scripts/test uses with
CI=true, on free loopback ports, in a temporary folder removed afterwards.

``BENCH_PG_STATEMENTS=N`` also prints, after the bench, the N statements the server spent
most time on, with their planning and running time per call (pg_stat_statements, planning
tracked): how the purchase's planning cost was found (merchants.rows.prepared_cursor)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_STATEMENTS = int(os.environ.get("BENCH_PG_STATEMENTS", "0"))
# Statements run at least this often: the bench's own, not its set-up's.
PG_STATEMENTS_MIN_CALLS = 100


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    # initdb refuses to run as root: the postgres user runs the server then.
    return ["runuser", "-u", "postgres", "--", *args] if os.getuid() == 0 else args


def run_with_servers(module: str) -> int:
    """Run ``python -m bench <module>`` in a child process, on a throwaway PostgreSQL and
    Redis started here and stopped afterwards; returns the child's exit code (or 0 with a
    line saying why it was skipped when PostgreSQL or Redis is not installed)."""
    pg_bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
    redis_server = shutil.which("redis-server")
    if not pg_bins or not redis_server:
        print(
            "skipped: needs PostgreSQL and Redis; set DATABASE_URL and REDIS_URL, or install "
            "postgresql and redis-server (scripts/bootstrap with CI=true) to have them started"
        )
        return 0
    pg_bin = pg_bins[-1]
    folder = Path(tempfile.mkdtemp(prefix=f"shipdesk-bench-{module}-"))
    if os.getuid() == 0:
        shutil.chown(folder, "postgres")
    pg_port, redis_port = _free_port(), _free_port()
    data = folder / "data"
    redis = None
    started_pg = False
    try:
        subprocess.run(
            _as_postgres([str(pg_bin / "initdb"), "-D", str(data), "-U", "postgres"])
            + ["--auth=trust"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {pg_port} -k {folder} -c fsync=off "
            "-c synchronous_commit=off -c max_connections=300"
        )
        if PG_STATEMENTS:
            options += (
                " -c shared_preload_libraries=pg_stat_statements"
                " -c pg_stat_statements.track_planning=on"
            )
        subprocess.run(
            _as_postgres(
                [str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(folder / "pg.log")]
                + ["-o", options, "-w", "start"]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        started_pg = True
        subprocess.run(
            _as_postgres(
                [str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(pg_port)]
                + ["-U", "postgres", "shipdesk"]
            ),
            check=True,
        )
        redis = subprocess.Popen(
            [redis_server, "--bind", "127.0.0.1", "--port", str(redis_port), "--save", ""]
            + ["--appendonly", "no", "--dir", str(folder)],
            stdout=subprocess.DEVNULL,
        )
        _wait_for_port(redis_port)
        env = dict(
            os.environ,
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{pg_port}/shipdesk",
            REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        )
        print(f"(throwaway PostgreSQL on :{pg_port} and Redis on :{redis_port})", flush=True)
        code = subprocess.run([sys.executable, "-m", "bench", module], cwd=ROOT, env=env).returncode
        if PG_STATEMENTS:
            _print_statements(pg_bin, pg_port)
        return code
    finally:
        if redis is not None:
            redis.terminate()
            redis.wait(timeout=20)
        if started_pg:
            subprocess.run(
                _as_postgres([str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                stdout=subprocess.DEVNULL,
            )
        shutil.rmtree(folder, ignore_errors=True)


def _print_statements(pg_bin: Path, pg_port: int) -> None:
    query = (
        "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; "
        "SELECT calls, plans, round((total_plan_time / calls)::numeric, 3) AS plan_ms, "
        "round((total_exec_time / calls)::numeric, 3) AS run_ms, "
        "left(regexp_replace(query, '\\s+', ' ', 'g'), 100) AS statement "
        f"FROM pg_stat_statements WHERE calls >= {PG_STATEMENTS_MIN_CALLS} "
        f"ORDER BY total_plan_time + total_exec_time DESC LIMIT {PG_STATEMENTS}"
    )
    print("== the PostgreSQL server's time per statement (pg_stat_statements) ==", flush=True)
    subprocess.run(
        _as_postgres([str(pg_bin / "psql"), "-h", "127.0.0.1", "-p", str(pg_port)])
        + ["-U", "postgres", "-X", "-q", "-c", query, "shipdesk"],
        check=False,
    )


def _wait_for_port(port: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
