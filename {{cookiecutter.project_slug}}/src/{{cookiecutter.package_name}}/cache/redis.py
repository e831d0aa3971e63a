"""Redis as the cache: shared by every worker and instance, so invalidation reaches all."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from ..settings import Settings
from .backend import CacheError

_UNLOCK_IF_OURS = "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end"
# The counter and the entry it points to in one round trip. The entry's key is built in
# the script, which a Redis Cluster would refuse; a single server or replica set is fine.
_GET_VERSIONED = """
local version = redis.call('GET', KEYS[1]) or '0'
return {version, redis.call('GET', ARGV[1] .. version .. ARGV[2])}
"""


class RedisCache:
    """`CacheBackend` over one `redis.asyncio` client and its connection pool."""

    name = "redis"

    def __init__(self, client: redis.Redis, token: str) -> None:
        self._client = client
        self._token = token  # identifies this process's locks
        self._get_versioned = client.register_script(_GET_VERSIONED)

    async def get(self, key: str) -> bytes | None:
        value: bytes | None = await self._call(self._client.get, key)
        return value

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        await self._call(self._client.set, key, value, px=max(int(ttl * 1000), 1))

    async def incr(self, key: str) -> int:
        return int(await self._call(self._client.incr, key))

    async def get_versioned(self, counter: str, head: str, tail: str) -> tuple[int, bytes | None]:
        version, value = await self._call(self._get_versioned, keys=[counter], args=[head, tail])
        return int(version), value

    async def try_lock(self, key: str, ttl: float) -> bool:
        taken = await self._call(
            self._client.set, key, self._token, nx=True, px=max(int(ttl * 1000), 1)
        )
        return bool(taken)

    async def unlock(self, key: str) -> None:
        await self._call(self._client.eval, _UNLOCK_IF_OURS, 1, key, self._token)

    async def ping(self, deadline: float) -> None:
        await self._call(self._client.ping)

    async def _call(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await command(*args, **kwargs)
        except (RedisError, OSError) as exc:
            raise CacheError(f"redis: {type(exc).__name__}") from exc


@asynccontextmanager
async def open_redis_cache(settings: Settings) -> AsyncIterator[RedisCache]:
    """Open the client (its pool connects lazily, so a down Redis does not stop start-up)."""
    timeout = settings.redis_socket_timeout_seconds
    # A blocking pool: past max_connections a request waits (up to the socket timeout) for
    # a connection instead of failing at once, so a burst does not read as an outage.
    pool = redis.BlockingConnectionPool.from_url(
        settings.redis_url.get_secret_value(),
        max_connections=settings.redis_max_connections,
        timeout=timeout,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        client_name=settings.service_name,
    )
    # One try: a cache that is down must cost one short timeout, then be skipped.
    client = redis.Redis(connection_pool=pool, retry=Retry(NoBackoff(), 0))
    try:
        yield RedisCache(client, token=uuid.uuid4().hex)
    finally:
        await client.aclose(close_connection_pool=True)
