"""The pool: configured from settings, bounded waits, and readiness that tells the truth."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import asyncpg
import httpx
import pytest

from {{ cookiecutter.package_name }}.db import Database, open_database
from {{ cookiecutter.package_name }}.errors import ServiceUnavailableError
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings

from .api_key import WRITER_HEADERS
from .serving import serving


def _settings(overrides: dict[str, Any], **values: Any) -> Settings:
    """Test settings for the real servers (`overrides`), with the values a test needs."""
    return Settings(_env_file=None, environment="test", **values, **overrides)


@pytest.fixture
async def tiny_pool(
    settings_overrides: dict[str, Any],
) -> AsyncIterator[tuple[httpx.AsyncClient, asyncpg.Pool]]:
    settings = _settings(
        settings_overrides,
        db_pool_min_size=1,
        db_pool_max_size=1,
        db_pool_acquire_timeout_seconds=0.2,
    )
    async with serving(create_app(settings)) as (client, state):
        yield client, state["database"].pool


async def test_an_exhausted_pool_answers_503_instead_of_hanging(
    tiny_pool: tuple[httpx.AsyncClient, asyncpg.Pool],
) -> None:
    client, pool = tiny_pool
    async with pool.acquire():
        response = await asyncio.wait_for(client.get("/api/v1/items"), timeout=5)

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The database is busy; retry shortly."


@pytest.fixture
async def one_connection(settings_overrides: dict[str, Any]) -> AsyncIterator[Database]:
    """A database handle whose pool has exactly one connection, so every query shares it."""
    async with open_database(
        _settings(settings_overrides, db_pool_min_size=1, db_pool_max_size=1)
    ) as database:
        yield database


_NAME = "SELECT current_setting('application_name')"
_WAIT_SECONDS = 0.2


@pytest.fixture
async def short_waits(settings_overrides: dict[str, Any]) -> AsyncIterator[Database]:
    """One connection, and waits for it that end after 0.2 s."""
    async with open_database(
        _settings(
            settings_overrides,
            db_pool_min_size=1,
            db_pool_max_size=1,
            db_pool_acquire_timeout_seconds=_WAIT_SECONDS,
        )
    ) as database:
        yield database


async def _timed(query: Awaitable[object]) -> tuple[BaseException | None, float]:
    started = time.monotonic()
    try:
        await query
    except (ServiceUnavailableError, asyncio.CancelledError) as exc:
        return exc, time.monotonic() - started
    return None, time.monotonic() - started


async def test_each_wait_for_a_busy_pool_ends_in_503_after_its_own_deadline(
    short_waits: Database,
) -> None:
    async with short_waits.connection():
        first = asyncio.create_task(_timed(short_waits.fetchrow("SELECT 1")))
        await asyncio.sleep(_WAIT_SECONDS / 2)
        second = asyncio.create_task(_timed(short_waits.fetchrow("SELECT 1")))
        outcomes = [await first, await second]

    for error, waited in outcomes:
        assert isinstance(error, ServiceUnavailableError)
        assert waited >= _WAIT_SECONDS
    assert await short_waits.fetchrow("SELECT 1") is not None


async def test_a_wait_that_gets_its_connection_in_time_is_not_cut_off_later(
    short_waits: Database,
) -> None:
    async with short_waits.connection():
        slow_query = asyncio.create_task(_timed(short_waits.execute("SELECT pg_sleep(0.4)")))
        await asyncio.sleep(_WAIT_SECONDS / 4)

    error, took = await slow_query

    assert error is None
    assert took >= 0.4


async def test_a_waiter_cancelled_by_its_caller_stays_cancelled(short_waits: Database) -> None:
    async with short_waits.connection():
        waiter = asyncio.create_task(short_waits.fetchrow("SELECT 1"))
        await asyncio.sleep(_WAIT_SECONDS / 4)
        waiter.cancel()

        with pytest.raises(asyncio.CancelledError):
            await waiter

    await asyncio.sleep(_WAIT_SECONDS)  # its deadline passes: nothing is left to cancel
    assert await short_waits.fetchrow("SELECT 1") is not None


@pytest.fixture
async def two_connections(settings_overrides: dict[str, Any]) -> AsyncIterator[Database]:
    """Two connections, both open from the start, so none is connected while it is lent."""
    async with open_database(
        _settings(settings_overrides, db_pool_min_size=2, db_pool_max_size=2)
    ) as database:
        yield database


async def test_connections_go_to_waiters_in_the_order_they_asked(
    two_connections: Database,
) -> None:
    # Clients that ask again the moment they hand a connection back: with asyncpg's own
    # wake-ups they take it again ahead of those already waiting, who may then time out.
    tickets = itertools.count()
    served: list[int] = []

    async def client() -> None:
        for _ in range(10):
            ticket = next(tickets)
            async with two_connections.connection():
                served.append(ticket)

    await asyncio.gather(*(client() for _ in range(8)))

    assert len(served) == 80
    assert served == sorted(served)


async def test_session_changes_made_in_a_block_are_undone_when_it_ends(
    one_connection: Database, settings: Settings
) -> None:
    async with one_connection.connection() as conn:
        await conn.execute("SET application_name = 'changed in a block'")

    row = await one_connection.fetchrow(_NAME)

    assert row is not None
    assert row[0] == settings.service_name


async def test_one_shot_statements_skip_the_reset_round_trip_so_share_the_session(
    one_connection: Database,
) -> None:
    # The trade-off documented in db.py: session changes belong in `connection()` blocks.
    await one_connection.execute("SET application_name = 'one-shot'")

    row = await one_connection.fetchrow(_NAME)

    assert row is not None
    assert row[0] == "one-shot"


@pytest.fixture
async def short_statements(settings_overrides: dict[str, Any]) -> AsyncIterator[Database]:
    """Statements, and blocks, that are cut off after 0.2 s."""
    async with open_database(
        _settings(settings_overrides, db_command_timeout_seconds=_WAIT_SECONDS)
    ) as database:
        yield database


async def _sleeping_statements(database: Database) -> int:
    count = await database.fetchrow(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE state = 'active' AND query LIKE 'SELECT pg_sleep(30)%'"
    )
    assert count is not None
    return int(count[0])


async def test_a_statement_past_the_timeout_is_a_503_and_cancelled_on_the_server(
    short_statements: Database,
) -> None:
    error, took = await _timed(short_statements.execute("SELECT pg_sleep(30)"))

    assert isinstance(error, ServiceUnavailableError)
    assert str(error) == "The database did not answer in time; retry shortly."
    assert _WAIT_SECONDS <= took < 30
    current = asyncio.current_task()
    assert current is not None
    assert current.cancelling() == 0  # the deadline's own cancellation was undone
    for _ in range(50):  # the cancel request reaches the server on a connection of its own
        if await _sleeping_statements(short_statements) == 0:
            break
        await asyncio.sleep(0.1)
    assert await _sleeping_statements(short_statements) == 0


async def test_a_statement_on_a_server_that_stopped_answering_is_a_503_not_a_hang(
    settings_overrides: dict[str, Any],
) -> None:
    settings = _settings(
        settings_overrides,
        db_pool_min_size=1,
        db_pool_max_size=1,
        db_command_timeout_seconds=_WAIT_SECONDS,
    )
    async with open_database(settings) as database:
        backend = await database.fetchrow("SELECT pg_backend_pid()")
        assert backend is not None
        os.kill(backend[0], signal.SIGSTOP)  # the server process of the pool's one connection
        try:
            error, took = await _timed(database.fetchrow("SELECT 1"))
        finally:
            os.kill(backend[0], signal.SIGCONT)

        assert isinstance(error, ServiceUnavailableError)
        assert took < 5
        assert await database.fetchrow("SELECT 1") is not None  # on a fresh connection


async def _run_until_cut_off(
    database: Database, db: asyncpg.Connection, work: Awaitable[object]
) -> tuple[BaseException | None, float]:
    """Run `work` on the pool's one connection, and end its backend (as a shutdown does)."""
    backend = await database.fetchrow("SELECT pg_backend_pid()")
    assert backend is not None
    running = asyncio.create_task(_timed(work))
    for _ in range(250):  # until the statement runs
        state = await db.fetchval("SELECT state FROM pg_stat_activity WHERE pid = $1", backend[0])
        if state == "active":
            break
        await asyncio.sleep(0.02)
    await db.execute("SELECT pg_terminate_backend($1)", backend[0])
    return await running


async def test_a_statement_the_server_ends_mid_flight_is_a_503_and_the_pool_recovers(
    one_connection: Database, db: asyncpg.Connection
) -> None:
    error, took = await _run_until_cut_off(
        one_connection, db, one_connection.execute("SELECT pg_sleep(30)")
    )

    assert isinstance(error, ServiceUnavailableError)
    assert str(error) == "The database is unreachable."
    assert took < 30
    assert await one_connection.fetchrow("SELECT 1") is not None  # on a fresh connection


async def test_a_transaction_the_server_ends_mid_flight_is_a_503_and_the_pool_recovers(
    one_connection: Database, db: asyncpg.Connection
) -> None:
    async def cut_off_transaction() -> None:
        async with one_connection.transaction() as conn:
            await conn.execute("INSERT INTO items (name) VALUES ('never committed')")
            await conn.execute("SELECT pg_sleep(30)")

    error, _ = await _run_until_cut_off(one_connection, db, cut_off_transaction())

    assert isinstance(error, ServiceUnavailableError)
    assert str(error) == "The database is unreachable."
    assert await one_connection.fetchrow("SELECT 1 FROM items") is None


async def test_a_transaction_past_the_timeout_is_a_503_and_rolled_back(
    short_statements: Database,
) -> None:
    async def slow_transaction() -> None:
        async with short_statements.transaction() as conn:
            await conn.execute("INSERT INTO items (name) VALUES ('never committed')")
            await conn.execute("SELECT pg_sleep(30)")

    error, _ = await _timed(slow_transaction())

    assert isinstance(error, ServiceUnavailableError)
    assert await short_statements.fetchrow("SELECT 1 FROM items") is None


async def test_readiness_fails_with_503_naming_the_database_when_it_is_unreachable(
    tiny_pool: tuple[httpx.AsyncClient, asyncpg.Pool], database_url: str, postgres_server_url: str
) -> None:
    client, _ = tiny_pool
    database = database_url.rpartition("/")[2]
    admin = await asyncpg.connect(postgres_server_url)
    try:  # refuse new connections, then cut the pool's: the database is gone for the app
        await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database
        )
    finally:
        await admin.close()

    response = await client.get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["status"] == "failed"
    assert body["checks"]["database"]["required"] is True


async def test_pool_connections_carry_the_service_name(
    client: httpx.AsyncClient, db: asyncpg.Connection, settings: Settings
) -> None:
    await client.get("/health/ready")

    names = await db.fetch(
        "SELECT application_name FROM pg_stat_activity WHERE datname = current_database()"
    )

    assert settings.service_name in {row["application_name"] for row in names}


async def test_the_statement_cache_can_be_disabled_for_pgbouncer(
    settings_overrides: dict[str, Any],
) -> None:
    settings = _settings(settings_overrides, db_statement_cache_size=0)

    async with serving(create_app(settings)) as (client, _):
        created = await client.post(
            "/api/v1/items", json={"name": "cacheless"}, headers=WRITER_HEADERS
        )
        listed = await client.get("/api/v1/items")

        assert created.status_code == 201
        assert listed.json()["total"] == 1
