"""merchants.cache: Django's Redis cache keeping one client per pool (production's cache with
REDIS_URL). It must behave as Django's own backend does, in threads and in forked workers
(gunicorn and qcluster fork after settings are read), while building no client per call."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid

import pytest
from django.core.cache.backends.redis import RedisCacheClient

from merchants.cache import RedisCache
from tests.support import ROOT

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI=true)")


@pytest.fixture
def redis_cache():
    cache = RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    yield cache
    cache.delete_many(["rates", "a", "b", "n"])
    cache.close()


def test_the_cache_reads_and_writes_as_djangos_own_backend_does(redis_cache):
    quotes = [{"service": "US-PM", "amount": "9.35"}]
    redis_cache.set("rates", quotes, 60)
    redis_cache.set_many({"a": 1, "b": "two"}, 60)
    assert redis_cache.get("rates") == quotes
    assert redis_cache.get_many(["a", "b", "missing"]) == {"a": 1, "b": "two"}
    assert redis_cache.add("a", 5) is False
    assert redis_cache.incr("a", 2) == 3
    redis_cache.delete("rates")
    assert redis_cache.get("rates", "gone") == "gone"
    # The same Redis as Django's backend sees it: nothing is stored differently.
    django_backend = RedisCacheClient([os.environ["REDIS_URL"]])
    assert django_backend.get(redis_cache.make_key("b"), None) == "two"


def test_one_client_serves_every_call(redis_cache, monkeypatch):
    redis_cache.get("a")
    built = []
    client_class = redis_cache._cache._client
    monkeypatch.setattr(
        redis_cache._cache, "_client", lambda **kw: built.append(kw) or client_class(**kw)
    )
    for n in range(20):
        redis_cache.set("n", n, 60)
        assert redis_cache.get("n") == n
    # Django's own backend builds one per call: 40 here.
    assert built == []


def test_threads_share_the_client_safely(redis_cache):
    failures: list[BaseException] = []

    def work(name: str) -> None:
        try:
            for n in range(50):
                redis_cache.set(name, n, 60)
                assert redis_cache.get(name) == n
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    redis_cache.delete_many([f"t{n}" for n in range(4)])
    assert failures == []


# Run in a process of its own: forking pytest's process, which has threads, could deadlock.
FORKED_WORKER = """
import os, sys
from merchants.cache import RedisCache
from tests.support import ROOT
cache = RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": sys.argv[1]})
cache.set("a", "parent", 60)  # the parent's client and connection exist before the fork
child = os.fork()
if child == 0:
    cache.set("child", os.getpid(), 60)
    os._exit(0 if cache.get("child") == os.getpid() else 3)
_, status = os.waitpid(child, 0)
assert os.waitstatus_to_exitcode(status) == 0, status
assert cache.get("child") == child and cache.get("a") == "parent"
print("ok")
"""


def test_a_forked_worker_gets_its_own_connection():
    # gunicorn and qcluster fork after the cache may have been used.
    prefix = f"test-{uuid.uuid4().hex}"
    done = subprocess.run(
        [sys.executable, "-c", FORKED_WORKER, prefix],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,  # where merchants/ is, whatever pytest's working directory
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "shipdesk.settings"},
    )
    assert done.stdout.strip() == "ok", done.stderr
