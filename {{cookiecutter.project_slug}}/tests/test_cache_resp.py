"""The Redis client: replies reach the command that asked, in every failure too."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

import pytest

from {{ cookiecutter.package_name }}.cache.redis import RedisCache
from {{ cookiecutter.package_name }}.cache.resp import (
    Endpoint,
    RedisClient,
    RedisError,
    RedisReplyError,
)

from redis_server import RedisServer

TIMEOUT = 0.2


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis of this test's own, to pause, stop and reconfigure."""
    with RedisServer() as server:
        yield server


def _client(url: str, *, timeout: float = TIMEOUT) -> RedisClient:
    return RedisClient(Endpoint.from_url(url), timeout=timeout, client_name="tests")


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[RedisClient]:
    client = _client(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def key() -> str:
    return f"test-resp-{uuid.uuid4().hex}"


async def test_concurrent_commands_each_get_their_own_reply(client: RedisClient, key: str) -> None:
    values = [f"value-{n}".encode() for n in range(200)]
    await asyncio.gather(*(client.execute("SET", f"{key}:{n}", v) for n, v in enumerate(values)))

    read = await asyncio.gather(*(client.execute("GET", f"{key}:{n}") for n in range(200)))

    assert read == values


async def test_the_commands_of_one_turn_of_the_loop_go_out_in_one_write(
    client: RedisClient, key: str
) -> None:
    await client.execute("PING")  # connected
    connection = client._connection
    assert connection is not None
    assert connection._transport is not None
    writes = _CountingTransport(connection._transport)
    connection._transport = cast(asyncio.Transport, writes)

    replies = await asyncio.gather(*(client.execute("SET", f"{key}:{n}", n) for n in range(50)))

    assert replies == [b"OK"] * 50
    assert writes.count == 1
    assert await client.execute("GET", f"{key}:49") == b"49"
    assert writes.count == 2


class _CountingTransport:
    """The connection's transport, counting the writes that pass through it."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.count = 0

    def write(self, data: bytes) -> None:
        self.count += 1
        self.transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


async def test_a_caller_that_gives_up_does_not_shift_the_replies_of_the_others(
    client: RedisClient, key: str
) -> None:
    await client.execute("SET", key, b"mine")
    abandoned = asyncio.ensure_future(client.execute("GET", "another-key"))
    await asyncio.sleep(0)  # sent, not answered yet
    abandoned.cancel()

    assert await client.execute("GET", key) == b"mine"


async def test_an_error_reply_fails_only_its_own_command(client: RedisClient, key: str) -> None:
    await client.execute("SET", key, b"text")

    with pytest.raises(RedisReplyError, match=r"WRONGTYPE|not an integer"):
        await client.execute("INCR", key)
    assert await client.execute("GET", key) == b"text"


async def test_a_server_that_stops_answering_fails_within_the_timeout_then_recovers(
    own_redis: RedisServer,
) -> None:
    client = _client(own_redis.url)
    admin = _client(own_redis.url, timeout=5)
    try:
        await admin.execute("CLIENT", "PAUSE", int(TIMEOUT * 5 * 1000), "ALL")

        started = asyncio.get_running_loop().time()
        with pytest.raises(RedisError):
            await client.execute("PING")
        waited = asyncio.get_running_loop().time() - started
        await asyncio.sleep(TIMEOUT * 5)

        assert waited < TIMEOUT * 5  # it did not wait for the server to answer
        assert await client.execute("PING") == b"PONG"
    finally:
        await client.aclose()
        await admin.aclose()


async def test_a_stopped_server_is_an_error_and_a_restarted_one_is_used_again(
    own_redis: RedisServer,
) -> None:
    client = _client(own_redis.url)
    try:
        assert await client.execute("PING") == b"PONG"
        own_redis.stop()
        with pytest.raises(RedisError):
            await client.execute("PING")
        own_redis.start()

        assert await client.execute("PING") == b"PONG"
    finally:
        await client.aclose()


async def test_the_url_logs_in_and_picks_the_database(own_redis: RedisServer) -> None:
    admin = _client(own_redis.url, timeout=5)
    await admin.execute("CONFIG", "SET", "requirepass", "s3cret")
    await admin.aclose()
    base = own_redis.url.rsplit("/", 1)[0].replace("redis://", "redis://:s3cret@")
    client = _client(f"{base}/3")
    wrong = _client(base.replace("s3cret", "wrong"))
    try:
        assert await client.execute("CLIENT", "GETNAME") == b"tests"
        assert b"db=3" in await client.execute("CLIENT", "INFO")
        with pytest.raises(RedisError):
            await wrong.execute("PING")
    finally:
        await client.aclose()
        await wrong.aclose()


@pytest.mark.parametrize(
    "url", ["http://localhost:6379", "redis://localhost:6379/zero", "unix:///tmp/redis.sock"]
)
def test_a_url_the_client_cannot_use_is_refused_at_start_up(url: str) -> None:
    with pytest.raises(ValueError, match="Redis"):
        Endpoint.from_url(url)


async def test_scripts_run_again_after_redis_forgot_them(client: RedisClient, key: str) -> None:
    cache = RedisCache(client, token="test")
    await cache.set(f"{key}:head:0:tail", b"body", ttl=5)
    assert await cache.get_versioned(f"{key}:generation", f"{key}:head:", ":tail") == (0, b"body")

    await client.execute("SCRIPT", "FLUSH")

    assert await cache.get_versioned(f"{key}:generation", f"{key}:head:", ":tail") == (0, b"body")
