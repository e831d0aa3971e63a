"""PostgreSQL stopped while the service runs, then started again: no restart needed.

The server is stopped as an operator would stop it (`pg_ctl stop -m fast`: sessions
ended, new connections refused) and started again on the same data and port.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import structlog

from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings

from .fixtures_postgres import migrate
from .serving import serving
from postgres_server import PostgresServer

# The settings under test: how long a request may wait for the database before its 503.
_ACQUIRE_SECONDS = 0.5
_CONNECT_SECONDS = 0.5
# What "within the bound" allows on a loaded machine: the bound plus scheduling slack.
_ANSWER_WITHIN_SECONDS = _ACQUIRE_SECONDS + _CONNECT_SECONDS + 1.0
_queries = itertools.count()
log = structlog.get_logger(__name__)


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A migrated PostgreSQL of this test's own, to stop and start."""
    with PostgresServer() as server:
        migrate(server.url)
        yield server


@pytest.fixture
async def client(
    own_postgres: PostgresServer, settings_overrides: dict[str, Any]
) -> AsyncIterator[httpx.AsyncClient]:
    overrides = {
        **settings_overrides,
        "database_url": own_postgres.url,
        "db_pool_acquire_timeout_seconds": _ACQUIRE_SECONDS,
        "db_connect_timeout_seconds": _CONNECT_SECONDS,
    }
    async with serving(create_app(Settings(_env_file=None, environment="test", **overrides))) as (
        client,
        _,
    ):
        yield client


async def _read_items(client: httpx.AsyncClient) -> tuple[httpx.Response, float]:
    """A read that needs the database: a search of its own, so no cache can answer it."""
    started = time.perf_counter()
    response = await client.get("/api/v1/items", params={"q": f"probe-{next(_queries)}"})
    return response, time.perf_counter() - started


async def _until_served(client: httpx.AsyncClient, give_up_after: float) -> float:
    """Seconds until a read that needs the database succeeds again."""
    started = time.perf_counter()
    while time.perf_counter() - started < give_up_after:
        response, _ = await _read_items(client)
        if response.status_code == 200:
            return time.perf_counter() - started
        await asyncio.sleep(0.01)
    raise AssertionError(f"still failing {give_up_after} s after PostgreSQL came back")


async def test_reads_fail_fast_and_readiness_fails_while_postgres_is_stopped(
    client: httpx.AsyncClient, own_postgres: PostgresServer
) -> None:
    assert (await _read_items(client))[0].status_code == 200

    await asyncio.to_thread(own_postgres.pause)
    try:
        answers = [await _read_items(client) for _ in range(3)]
        ready = await client.get("/health/ready")
        live = await client.get("/health/live")
    finally:
        await asyncio.to_thread(own_postgres.resume)

    assert [response.status_code for response, _ in answers] == [503, 503, 503]
    assert {response.headers["content-type"] for response, _ in answers} == {
        "application/problem+json"
    }
    assert max(took for _, took in answers) < _ANSWER_WITHIN_SECONDS
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"]["status"] == "failed"
    assert live.status_code == 200


async def test_the_service_recovers_without_a_restart_once_postgres_is_back(
    client: httpx.AsyncClient, own_postgres: PostgresServer
) -> None:
    assert (await _read_items(client))[0].status_code == 200
    await asyncio.to_thread(own_postgres.pause)
    assert (await _read_items(client))[0].status_code == 503

    await asyncio.to_thread(own_postgres.resume)  # returns once the server accepts connections
    recovered_after = await _until_served(client, give_up_after=10)
    # Reported (`-rP` shows it), not asserted: speed is for benchmarks.
    log.info("postgres_recovered", served_again_after_ms=round(recovered_after * 1000))
    after = [await _read_items(client) for _ in range(20)]
    ready = await client.get("/health/ready")

    assert [response.status_code for response, _ in after] == [200] * 20
    assert ready.status_code == 200
