"""The in-memory backend: bounded in size, least recently used first out."""

from __future__ import annotations

import asyncio

from {{ cookiecutter.package_name }}.cache.memory import MemoryCache


async def test_the_size_bound_evicts_the_least_recently_used_entry() -> None:
    cache = MemoryCache(max_entries=2)
    await cache.set("a", b"1", ttl=60)
    await cache.set("b", b"2", ttl=60)
    await cache.get("a")  # "b" is now the least recently used

    await cache.set("c", b"3", ttl=60)

    assert len(cache) == 2
    assert await cache.get("b") is None
    assert await cache.get("a") == b"1"
    assert await cache.get("c") == b"3"


async def test_a_lock_is_exclusive_until_released_or_expired() -> None:
    cache = MemoryCache(max_entries=10)

    assert await cache.try_lock("k", ttl=60) is True
    assert await cache.try_lock("k", ttl=60) is False
    await cache.unlock("k")
    assert await cache.try_lock("k", ttl=0.01) is True
    await asyncio.sleep(0.02)
    assert await cache.try_lock("k", ttl=60) is True  # the short one expired
