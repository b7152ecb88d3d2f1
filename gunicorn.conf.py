"""gunicorn's settings for ShipDesk (read from the working directory: `gunicorn shipdesk.wsgi`).

Threaded workers (gthread): a page spends much of its time waiting on PostgreSQL, Redis or
Stamps.com (1-2 s per label live), and a waiting thread frees the GIL for the next request,
so a few processes with several threads each serve far more than one request per process.
Processes bring the cores: one per core (WEB_CONCURRENCY), 8 threads each (WEB_THREADS).

Per host in production: WEB_CONCURRENCY = the host's cores, WEB_THREADS = 8 (raise it if
purchases waiting on Stamps.com fill the threads while the CPU idles), and a PostgreSQL
max_connections above hosts x WEB_CONCURRENCY x WEB_THREADS plus the qcluster workers (each
thread keeps one connection for CONN_MAX_AGE). The load benchmark (python -m bench load)
measures this configuration on its host.
"""

from __future__ import annotations

import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))
threads = int(os.environ.get("WEB_THREADS", "8"))
# A purchase may wait STAMPS_TIMEOUT (20 s) per try, plus a retry: longer than gunicorn's 30 s.
timeout = int(os.environ.get("WEB_TIMEOUT", "90"))
graceful_timeout = 30
keepalive = 5
# Recycle a worker now and then, so a slow leak in a dependency can never grow unbounded.
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("WEB_ACCESS_LOG") or None
