"""The Stamps.com sandbox served over real HTTP for a benchmark, and when it was busy.

``Spans`` holds the (start, end) of every request the sandbox handled, from the moment its
request line was read. A bench takes the sandbox's time out of its own wall time with them;
what is left of a carrier call is the client's: building and sending the request, waiting for
the bytes to arrive, reading them. A span ends when the last byte of the answer was handed to
the socket (writing the answer is the server's work too: WSGI's status line and headers, then
the body) when the sandbox has a process of its own; in the bench's own process it ends when
the answer is ready, before it is written: once written, the client thread may run before
the server thread notes the time.

Two ways to serve it:

- ``serve_here``: a threaded WSGI server in the bench's own process. Simple, and right for a
  bench whose client is another process (a worker buying a batch).
- ``SandboxApart``: the sandbox in its own process, as Stamps.com is apart from ShipDesk.
  For a bench whose client runs in the bench's process (label_cost): a server in the same
  process shares its interpreter lock, and the server thread's work after each answer (or
  the lock's hand-over itself) would be counted as ShipDesk's. Its spans travel through a
  file, written before each answer goes out, timed with ``time.perf_counter``, which is
  CLOCK_MONOTONIC on Linux: one clock for every process of the host.

``python -m bench._sandbox SPANS_FILE`` is that process: it prints its port, then serves
until its standard input closes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

ROOT = Path(__file__).resolve().parent.parent
PATH = "/sandbox/stamps/swsim.asmx"


class Spans:
    """When the sandbox was busy: (start, end) of each request, by ``time.perf_counter``."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float]] = []
        self.lock = threading.Lock()

    def add(self, start: float, end: float) -> None:
        with self.lock:
            self.spans.append((start, end))

    def count(self) -> int:
        with self.lock:
            return len(self.spans)

    def since(self, first: int) -> list[tuple[float, float]]:
        with self.lock:
            return self.spans[first:]

    def clear(self) -> None:
        with self.lock:
            self.spans.clear()

    def durations(self, first: int = 0) -> list[float]:
        """How long each request took, from the ``first``-th on (``count()`` before a call)."""
        return [end - start for start, end in self.since(first)]

    def total(self, first: int = 0) -> float:
        return sum(self.durations(first))

    def busy(self) -> float:
        """Wall time during which at least one request was being handled."""
        busy, until = 0.0, float("-inf")
        with self.lock:
            spans = sorted(self.spans)
        for start, end in spans:
            if end <= until:
                continue
            busy += end - max(start, until)
            until = end
        return busy


def _server(on_span: Callable[[float, float], None], posts_only: bool, until_written: bool):
    """A threaded WSGI server (not started) serving Django, noting each request's span, until
    its answer is written or (``until_written`` False) ready."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    # Each connection has its own thread: the request's start, per thread.
    local = threading.local()
    django_app = WSGIHandler()

    def app(environ, start_response):
        local.noted = environ["REQUEST_METHOD"] == "POST" or not posts_only
        result = django_app(environ, start_response)
        if until_written:
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        _note()
        return [body]

    def _note() -> None:
        started = getattr(local, "started", None)
        if started is not None and local.noted:
            on_span(started, time.perf_counter())
        local.started = None

    class Handler(WSGIRequestHandler):
        def setup(self) -> None:
            super().setup()
            # Without it Nagle's algorithm holds each answer's last segment ~40 ms.
            cast(socket.socket, self.connection).setsockopt(
                socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
            )

        def parse_request(self) -> bool:
            local.started, local.noted = time.perf_counter(), False
            return super().parse_request()

        def handle_one_request(self) -> None:
            # Returns once the answer is written: the socket's writer is unbuffered.
            super().handle_one_request()
            if until_written:
                _note()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Handler, allow_reuse_address=False)
    server.set_app(app)
    server.daemon_threads = True
    return server


def serve_here(spans: Spans, *, posts_only: bool = False, until_written: bool = False):
    """The sandbox in this process, on a free port (``server.server_port``); stop it with
    ``shutdown()`` and ``server_close()``. ``until_written``: each span ends once the answer
    is written, noted just after the client may have it (a bench that times one call at a
    time waits for the span before the next)."""
    server = _server(spans.add, posts_only, until_written=until_written)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class SandboxApart:
    """The sandbox in a process of its own, on the database this process uses now (a test
    database already created: its name is passed on). ``url`` is its SOAP address;
    ``collect()`` brings the spans written so far into ``spans``."""

    def __init__(self, folder: Path) -> None:
        from django.db import connection

        self.spans = Spans()
        self._file = folder / "sandbox-spans.txt"
        self._file.write_text("")
        self._reader: IO[str] = self._file.open()
        db = connection.settings_dict
        if connection.vendor == "postgresql":
            url = (
                f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}"
                f"/{db['NAME']}"
            )
        else:
            url = f"sqlite:///{db['NAME']}"
        env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="shipdesk.settings")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench._sandbox", str(self._file)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            raise RuntimeError(f"the sandbox process did not start (it said {line!r})")
        self.url = f"http://127.0.0.1:{line}{PATH}"

    def collect(self) -> None:
        for line in self._reader.readlines():
            start, end = line.split()
            self.spans.add(float(start), float(end))

    def stop(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        self._reader.close()


class SandboxHere:
    """``SandboxApart``'s interface for a sandbox served in this process (``serve_here``)."""

    def __init__(self) -> None:
        self.spans = Spans()
        self._server = serve_here(self.spans)
        self.url = f"http://127.0.0.1:{self._server.server_port}{PATH}"

    def collect(self) -> None:
        """Nothing to bring in: each span is noted before its answer goes out."""

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipdesk.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.STAMPS_SANDBOX = True
    settings.DEBUG = False
    lock = threading.Lock()
    # One line a request, written at once (line buffering).
    with Path(sys.argv[1]).open("a", buffering=1) as spans:

        def note(start: float, end: float) -> None:
            with lock:
                spans.write(f"{start:.9f} {end:.9f}\n")

        server = _server(note, posts_only=False, until_written=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print(server.server_port, flush=True)
        sys.stdin.read()  # until the bench closes it (or dies)
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
