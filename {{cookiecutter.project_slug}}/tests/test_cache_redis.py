"""Redis going away mid-flight: every request is still answered; the cache comes back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import Any

import httpx
import pytest

from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings

from .cached_routes import PATH, Counted, add_cached_route
from .serving import serving
from .silent_server import silent_server
from redis_server import RedisServer


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis of this test's own, to stop and start."""
    with RedisServer() as server:
        yield server


@pytest.fixture
async def service(
    own_redis: RedisServer, settings_overrides: dict[str, Any]
) -> AsyncIterator[tuple[httpx.AsyncClient, Counted]]:
    overrides = {**settings_overrides, "redis_url": own_redis.url, "cache_bypass_seconds": 0.05}
    app = create_app(Settings(_env_file=None, environment="test", **overrides))
    counted = add_cached_route(app)
    async with serving(app) as (client, _):
        yield client, counted


async def test_reads_are_served_and_the_service_stays_ready_while_redis_is_down(
    service: tuple[httpx.AsyncClient, Counted], own_redis: RedisServer
) -> None:
    client, counted = service
    assert (await client.get(PATH)).headers["x-cache"] == "miss"
    assert (await client.get(PATH)).headers["x-cache"] == "hit"

    own_redis.stop()
    down = [await client.get(PATH) for _ in range(3)]
    ready = await client.get("/health/ready")

    assert [response.status_code for response in down] == [200, 200, 200]
    assert {response.headers["x-cache"] for response in down} == {"error"}
    assert counted.calls == 4  # served from the source while the cache is away
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["checks"]["cache"]["status"] == "failed"


async def test_writes_succeed_while_redis_is_down(
    service: tuple[httpx.AsyncClient, Counted], own_redis: RedisServer
) -> None:
    client, _ = service
    own_redis.stop()

    response = await client.post(PATH, params={"value": "second"})

    assert response.status_code == 200
    assert (await client.get(PATH)).json() == {"value": "second"}


async def test_the_cache_is_used_again_once_redis_is_back(
    service: tuple[httpx.AsyncClient, Counted], own_redis: RedisServer
) -> None:
    client, _ = service
    own_redis.stop()
    await client.get(PATH)
    own_redis.start()

    statuses = []
    for _ in range(20):  # past the bypass, and past a pooled connection the restart broke
        await asyncio.sleep(0.06)
        statuses.append((await client.get(PATH)).headers["x-cache"])

    assert statuses[-2:] == ["hit", "hit"]


async def test_a_required_cache_that_is_down_makes_the_service_unready(
    own_redis: RedisServer, settings_overrides: dict[str, Any]
) -> None:
    overrides = {**settings_overrides, "redis_url": own_redis.url, "cache_required": True}
    app = create_app(Settings(_env_file=None, environment="test", **overrides))
    own_redis.stop()

    async with serving(app) as (client, _):
        response = await client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["required"] is True


async def test_every_read_is_served_within_its_bound_while_redis_never_answers(
    settings_overrides: dict[str, Any],
) -> None:
    async with silent_server() as address:
        overrides = {
            **settings_overrides,
            "redis_url": f"redis://{address}/0",
            "readiness_timeout_seconds": 0.5,
        }
        settings = Settings(_env_file=None, environment="test", **overrides)
        app = create_app(settings)
        counted = add_cached_route(app)
        async with serving(app) as (client, _):
            reads = [await _timed(client.get(PATH)) for _ in range(5)]
            ready, ready_took = await _timed(client.get("/health/ready"))
            live, live_took = await _timed(client.get("/health/live"))

    # One read waits out the socket timeout; the rest skip the cache while it is bypassed.
    slowest_read = settings.redis_socket_timeout_seconds + 1.0
    assert [response.status_code for response, _ in reads] == [200] * 5
    assert max(took for _, took in reads) < slowest_read
    assert counted.calls == 5
    assert (ready.status_code, ready.json()["checks"]["cache"]["status"]) == (200, "failed")
    assert ready_took < settings.readiness_timeout_seconds + 1.0
    assert (live.status_code, live_took < 1.0) == (200, True)


async def _timed(request: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await request
    return response, time.perf_counter() - started
