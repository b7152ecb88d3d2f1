"""Django's Redis cache, with one Redis client kept per connection pool.

Django's own ``RedisCacheClient.get_client`` builds a new ``redis.Redis`` for every cache
call, and redis-py's constructor copies its table of about 170 response callbacks each time:
0.16 ms of CPU a call on the development machine, as much as the Redis round trip itself
(``make bench``: label_cost, where a purchase reads the rates cache and a cold one writes it
too; every signed-in page reads its session through this cache as well).

A client holds nothing but its pool, which is already kept (one per server, per cache
instance: Django makes one cache instance per thread) and which redis-py makes safe across
``fork`` (it checks the process id). Keeping the client is therefore as safe as keeping the
pool. Everything else is Django's backend unchanged; django-redis would also keep its clients,
but would bring its own serializer, exceptions and settings for this one behaviour.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class KeptClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}  # id of a kept pool -> its redis.Redis

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's private helpers, as its own get_client uses them (django-stubs leaves
        # them out): its choice of server and that server's kept pool, and the client class.
        django_client: Any = self
        pool = django_client._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = django_client._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """``django.core.cache.backends.redis.RedisCache`` keeping its Redis clients."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient
