"""Idempotency keys kept in the queue's Redis: `SET NX` with expiry, one key per key.

A claim is `SET NX` with the lease as expiry: of concurrent requests exactly one sets it.
The answer then replaces the claim, with the key's whole lifetime as expiry.
"""

from __future__ import annotations

from typing import Any

import orjson
from redis.asyncio import Redis

from ..jobs.queue import answering
from .keys import LEASE_SECONDS, Holder, StoredResponse


class RedisKeys:
    """`KeyStore` over a Redis client (the queue's own pool)."""

    def __init__(
        self, redis: Redis, *, prefix: str, ttl: float, lease: float = LEASE_SECONDS
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_ms = _milliseconds(ttl)
        self._lease_ms = _milliseconds(lease)

    async def claim(self, key: str, fingerprint: str) -> Holder | None:
        name = self._prefix + key
        claim = orjson.dumps({"fingerprint": fingerprint, "response": None})
        async with answering("idempotency key store"):
            if await self._redis.set(name, claim, nx=True, px=self._lease_ms):
                return None
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.get(name)
                pipe.pttl(name)
                stored, left_ms = await pipe.execute()
        if stored is None:  # expired between the two calls: ask the client to retry
            return Holder(fingerprint, None, 0.0)
        return _holder(orjson.loads(stored), max(left_ms, 0) / 1000)

    async def complete(self, key: str, fingerprint: str, response: StoredResponse) -> None:
        answer = {
            "status": response.status,
            "body": response.body.decode(),
            "location": response.location,
        }
        record = orjson.dumps({"fingerprint": fingerprint, "response": answer})
        async with answering("idempotency key store"):
            await self._redis.set(self._prefix + key, record, px=self._ttl_ms)

    async def release(self, key: str) -> None:
        async with answering("idempotency key store"):
            await self._redis.delete(self._prefix + key)


def _holder(record: dict[str, Any], seconds_left: float) -> Holder:
    answer = record["response"]
    response = None
    if answer is not None:
        response = StoredResponse(answer["status"], answer["body"].encode(), answer["location"])
    return Holder(record["fingerprint"], response, seconds_left)


def _milliseconds(seconds: float) -> int:
    return max(int(seconds * 1000), 1)
