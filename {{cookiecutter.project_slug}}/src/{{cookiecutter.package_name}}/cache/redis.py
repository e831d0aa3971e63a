"""Redis as the cache, through redis-py: shared by every worker and instance.

One bounded connection pool per app: a burst of requests waits briefly for a free
connection instead of opening one per request. Every redis-py error, a timeout included,
becomes a `CacheError` here, and nowhere else, so `reads.py` can fail open on it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import cast

from redis.asyncio import BlockingConnectionPool, Redis
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


@contextmanager
def _as_cache_error() -> Iterator[None]:
    """Turn whatever redis-py raises (refused, lost, timed out, error reply) into `CacheError`."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise CacheError(f"Redis: {exc}") from exc


class RedisCache:
    """`CacheBackend` over a `redis.asyncio.Redis` client and its pool."""

    name = "redis"

    def __init__(self, client: Redis, token: str) -> None:
        self.client = client
        self._token = token  # identifies this process's locks
        # Run by SHA1 (EVALSHA); redis-py sends the source again if the server lost it.
        self._get_versioned = client.register_script(_GET_VERSIONED)
        self._unlock_if_ours = client.register_script(_UNLOCK_IF_OURS)

    async def get(self, key: str) -> bytes | None:
        with _as_cache_error():
            value = await self.client.get(key)
        # Typed for clients that decode replies; this one never does (`decode_responses`).
        return cast(bytes | None, value)

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        with _as_cache_error():
            await self.client.set(key, value, px=_milliseconds(ttl))

    async def incr(self, key: str) -> int:
        with _as_cache_error():
            counter: int = await self.client.incr(key)
        return counter

    async def get_versioned(self, counter: str, head: str, tail: str) -> tuple[int, bytes | None]:
        with _as_cache_error():
            version, value = await self._get_versioned(keys=[counter], args=[head, tail])
        return int(version), value

    async def try_lock(self, key: str, ttl: float) -> bool:
        with _as_cache_error():
            taken = await self.client.set(key, self._token, nx=True, px=_milliseconds(ttl))
        return bool(taken)

    async def unlock(self, key: str) -> None:
        with _as_cache_error():
            await self._unlock_if_ours(keys=[key], args=[self._token])

    async def ping(self, deadline: float) -> None:
        with _as_cache_error():
            await self.client.ping()


def _milliseconds(seconds: float) -> int:
    return max(int(seconds * 1000), 1)


def redis_client(settings: Settings) -> Redis:
    """A client for `REDIS_URL` whose pool is bounded, waits briefly and never retries.

    A cache that is down or slow must cost one short wait, then be skipped: one deadline
    for connecting and for every reply, and no retries (the read falls back to its source).
    """
    pool = BlockingConnectionPool.from_url(
        settings.redis_url.get_secret_value(),
        max_connections=settings.redis_max_connections,
        timeout=settings.redis_pool_wait_seconds,
        socket_timeout=settings.redis_socket_timeout_seconds,
        socket_connect_timeout=settings.redis_socket_timeout_seconds,
        retry=Retry(NoBackoff(), retries=0),
        client_name=settings.service_name,
    )
    return Redis.from_pool(pool)


@asynccontextmanager
async def open_redis_cache(settings: Settings) -> AsyncIterator[RedisCache]:
    """Open the client (it connects on first use, so a down Redis does not stop start-up)."""
    client = redis_client(settings)
    try:
        yield RedisCache(client, token=uuid.uuid4().hex)
    finally:
        await client.aclose()
