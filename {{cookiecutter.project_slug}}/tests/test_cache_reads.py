"""Cache-aside reads on the project's real backend: hits, misses, expiry, freshness, flights."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from {{ cookiecutter.package_name }}.cache import CacheBackend, CacheError, open_cache
from {{ cookiecutter.package_name }}.cache.reads import CachedReads
from {{ cookiecutter.package_name }}.settings import Settings


class Source:
    """The slow truth behind the cache; counts how often it is asked."""

    def __init__(self, body: bytes | None = b"v1") -> None:
        self.body = body
        self.loads = 0

    async def load(self) -> bytes | None:
        self.loads += 1
        await asyncio.sleep(0.01)
        return self.body


@pytest.fixture
async def backend(settings: Settings) -> AsyncIterator[CacheBackend]:
    async with open_cache(settings) as cache:
        yield cache


@pytest.fixture
def reads(backend: CacheBackend, settings: Settings) -> CachedReads:
    return CachedReads(backend, ttl=5, prefix=settings.cache_key_prefix)


async def test_a_miss_loads_and_stores_then_a_hit_skips_the_source(reads: CachedReads) -> None:
    source = Source()

    first = await reads.read("things", "/a", source.load, route="/a")
    second = await reads.read("things", "/a", source.load, route="/a")

    assert (first.result, first.body) == ("miss", b"v1")
    assert (second.result, second.body) == ("hit", b"v1")
    assert source.loads == 1


async def test_different_keys_are_cached_apart(reads: CachedReads) -> None:
    await reads.read("things", "/a?page=1", Source(b"one").load, route="/a")

    other = await reads.read("things", "/a?page=2", Source(b"two").load, route="/a")

    assert (other.result, other.body) == ("miss", b"two")


async def test_entries_expire_after_their_ttl(backend: CacheBackend, settings: Settings) -> None:
    reads = CachedReads(backend, ttl=0.05, prefix=settings.cache_key_prefix)
    source = Source()
    await reads.read("things", "/a", source.load, route="/a")

    await asyncio.sleep(0.1)
    again = await reads.read("things", "/a", source.load, route="/a")

    assert again.result == "miss"
    assert source.loads == 2


async def test_a_read_after_invalidation_is_fresh(reads: CachedReads) -> None:
    source = Source(b"old")
    await reads.read("things", "/a", source.load, route="/a")

    source.body = b"new"
    await reads.invalidate("things")
    after = await reads.read("things", "/a", source.load, route="/a")

    assert (after.result, after.body) == ("miss", b"new")


async def test_invalidation_is_per_namespace(reads: CachedReads) -> None:
    await reads.read("things", "/a", Source().load, route="/a")

    await reads.invalidate("others")
    again = await reads.read("things", "/a", Source().load, route="/a")

    assert again.result == "hit"


async def test_nothing_is_cached_when_the_source_has_nothing(reads: CachedReads) -> None:
    source = Source(body=None)

    await reads.read("things", "/missing", source.load, route="/m")
    again = await reads.read("things", "/missing", source.load, route="/m")

    assert again.result == "miss"
    assert source.loads == 2


async def test_concurrent_misses_of_one_key_load_once(reads: CachedReads) -> None:
    source = Source()

    lookups = await asyncio.gather(
        *(reads.read("things", "/hot", source.load, route="/hot") for _ in range(20))
    )

    assert source.loads == 1
    assert {lookup.body for lookup in lookups} == {b"v1"}


async def test_a_failed_load_reaches_every_waiter_and_is_not_cached(reads: CachedReads) -> None:
    async def broken() -> bytes | None:
        await asyncio.sleep(0.01)
        raise RuntimeError("source down")

    results = await asyncio.gather(
        *(reads.read("things", "/x", broken, route="/x") for _ in range(3)),
        return_exceptions=True,
    )

    assert all(isinstance(result, RuntimeError) for result in results)
    assert (await reads.read("things", "/x", Source().load, route="/x")).result == "miss"


async def test_another_process_holding_the_lock_is_waited_for(
    reads: CachedReads, backend: CacheBackend, settings: Settings
) -> None:
    peer = CachedReads(backend, ttl=5, prefix=settings.cache_key_prefix)
    slow, fast = Source(b"from-peer"), Source(b"mine")

    async def slow_load() -> bytes | None:
        await asyncio.sleep(0.1)
        return await slow.load()

    # Two CachedReads share a backend like two processes share a cache server.
    peer_read = asyncio.create_task(peer.read("things", "/k", slow_load, route="/k"))
    await asyncio.sleep(0.02)
    mine = await reads.read("things", "/k", fast.load, route="/k")
    await peer_read

    assert mine.body == b"from-peer"
    assert fast.loads == 0


async def test_results_are_reported_to_the_observer(reads: CachedReads) -> None:
    seen: list[tuple[str, str]] = []
    reads.observe = lambda route, result: seen.append((route, result))

    await reads.read("things", "/a", Source().load, route="/things/{id}")
    await reads.read("things", "/a", Source().load, route="/things/{id}")

    assert seen == [("/things/{id}", "miss"), ("/things/{id}", "hit")]


class BrokenBackend:
    """A backend whose server is gone: every call fails like a refused connection."""

    name = "broken"

    def __init__(self) -> None:
        self.calls = 0

    async def _fail(self) -> None:
        self.calls += 1
        raise CacheError("connection refused")

    async def get(self, key: str) -> bytes | None:
        await self._fail()
        return None

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        await self._fail()

    async def incr(self, key: str) -> int:
        await self._fail()
        return 0

    async def get_versioned(self, counter: str, head: str, tail: str) -> tuple[int, bytes | None]:
        await self._fail()
        return 0, None

    async def try_lock(self, key: str, ttl: float) -> bool:
        await self._fail()
        return False

    async def unlock(self, key: str) -> None:
        await self._fail()

    async def ping(self, deadline: float) -> None:
        await self._fail()


async def test_a_failing_backend_fails_open_and_is_skipped_for_a_moment() -> None:
    broken = BrokenBackend()
    reads = CachedReads(broken, ttl=5, bypass_seconds=60)
    source = Source()

    lookups = [await reads.read("things", "/a", source.load, route="/a") for _ in range(5)]
    await reads.invalidate("things")

    assert [lookup.body for lookup in lookups] == [b"v1"] * 5
    assert {lookup.result for lookup in lookups} == {"error"}
    assert broken.calls == 2  # the first read and the invalidation; reads skipped it
