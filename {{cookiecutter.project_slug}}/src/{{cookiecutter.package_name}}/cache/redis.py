"""Redis as the cache: shared by every worker and instance, so invalidation reaches all."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from ..settings import Settings
from .resp import Arg, Endpoint, RedisClient, RedisReplyError

_UNLOCK_IF_OURS = "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end"
# The counter and the entry it points to in one round trip. The entry's key is built in
# the script, which a Redis Cluster would refuse; a single server or replica set is fine.
_GET_VERSIONED = """
local version = redis.call('GET', KEYS[1]) or '0'
return {version, redis.call('GET', ARGV[1] .. version .. ARGV[2])}
"""


class RedisCache:
    """`CacheBackend` over one pipelined Redis connection (`resp.RedisClient`)."""

    name = "redis"

    def __init__(self, client: RedisClient, token: str) -> None:
        self._client = client
        self._token = token  # identifies this process's locks
        self._get_versioned = _Script(client, _GET_VERSIONED)
        self._unlock_if_ours = _Script(client, _UNLOCK_IF_OURS)

    async def get(self, key: str) -> bytes | None:
        value: bytes | None = await self._client.execute("GET", key)
        return value

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        await self._client.execute("SET", key, value, "PX", _milliseconds(ttl))

    async def incr(self, key: str) -> int:
        counter: int = await self._client.execute("INCR", key)
        return counter

    async def get_versioned(self, counter: str, head: str, tail: str) -> tuple[int, bytes | None]:
        version, value = await self._get_versioned(keys=(counter,), args=(head, tail))
        return int(version), value

    async def try_lock(self, key: str, ttl: float) -> bool:
        taken = await self._client.execute("SET", key, self._token, "NX", "PX", _milliseconds(ttl))
        return taken is not None

    async def unlock(self, key: str) -> None:
        await self._unlock_if_ours(keys=(key,), args=(self._token,))

    async def ping(self, deadline: float) -> None:
        await self._client.execute("PING")


class _Script:
    """A Lua script run by its SHA1 (EVALSHA), sent whole only when Redis lacks it."""

    def __init__(self, client: RedisClient, source: str) -> None:
        self._client = client
        self._source = source
        self._sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    async def __call__(self, *, keys: tuple[Arg, ...], args: tuple[Arg, ...]) -> Any:
        try:
            return await self._client.execute("EVALSHA", self._sha, len(keys), *keys, *args)
        except RedisReplyError as exc:
            if not exc.reply.startswith("NOSCRIPT"):
                raise
        # A restarted or flushed Redis forgot the script: EVAL runs and caches it.
        return await self._client.execute("EVAL", self._source, len(keys), *keys, *args)


def _milliseconds(seconds: float) -> int:
    return max(int(seconds * 1000), 1)


@asynccontextmanager
async def open_redis_cache(settings: Settings) -> AsyncIterator[RedisCache]:
    """Open the client (it connects on first use, so a down Redis does not stop start-up)."""
    client = RedisClient(
        Endpoint.from_url(settings.redis_url.get_secret_value()),
        # One short deadline for connecting and for every reply: a cache that is down or
        # slow must cost one short wait, then be skipped.
        timeout=settings.redis_socket_timeout_seconds,
        client_name=settings.service_name,
    )
    try:
        yield RedisCache(client, token=uuid.uuid4().hex)
    finally:
        await client.aclose()
