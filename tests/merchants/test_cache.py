"""merchants.cache: Django's Redis cache keeping one client per pool (production's cache with
REDIS_URL). It must behave as Django's own backend does, in threads and in forked workers
(gunicorn and qcluster fork after settings are read), while building no client per call."""

from __future__ import annotations

import multiprocessing
import os
import threading
import uuid

import pytest
from django.core.cache.backends.redis import RedisCacheClient

from merchants.cache import RedisCache

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI=true)")


@pytest.fixture
def redis_cache():
    cache = RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    yield cache
    cache.delete_many(["rates", "a", "b", "n", "child"])
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


def _child_writes(cache: RedisCache, queue) -> None:
    try:
        cache.set("child", os.getpid(), 60)
        queue.put(cache.get("child"))
    except BaseException as exc:
        queue.put(repr(exc))


def test_a_forked_worker_gets_its_own_connection(redis_cache):
    redis_cache.set("a", "parent", 60)  # the parent's client and connection exist
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child_writes, args=(redis_cache, queue))
    child.start()
    answer = queue.get(timeout=30)
    child.join(timeout=30)
    assert answer == child.pid
    assert redis_cache.get("child") == child.pid
    assert redis_cache.get("a") == "parent"  # the parent's connection still works
