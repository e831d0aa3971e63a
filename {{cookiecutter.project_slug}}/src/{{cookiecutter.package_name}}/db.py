"""PostgreSQL through one asyncpg pool, opened and closed by the lifespan."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from fastapi import Request

from .errors import ServiceUnavailableError
from .settings import Settings

_POOL_CLOSE_TIMEOUT_SECONDS = 10.0

# What services accept: a pooled connection in requests, a plain one in scripts and tests.
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"


@asynccontextmanager
async def open_pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    """Open the connection pool sized by the settings; close it (bounded) on exit."""
    pool = await asyncpg.create_pool(
        dsn=settings.database_url.get_secret_value(),
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        max_inactive_connection_lifetime=settings.db_pool_max_inactive_seconds,
        command_timeout=settings.db_command_timeout_seconds,
        statement_cache_size=settings.db_statement_cache_size,
        timeout=settings.db_connect_timeout_seconds,
        server_settings={"application_name": settings.service_name},
    )
    try:
        yield pool
    finally:
        try:
            await asyncio.wait_for(pool.close(), _POOL_CLOSE_TIMEOUT_SECONDS)
        except TimeoutError:
            pool.terminate()


async def ping(pool: asyncpg.Pool, deadline: float) -> None:
    """Prove the database answers, within `deadline` seconds."""
    async with pool.acquire(timeout=deadline) as conn:
        await conn.fetchval("SELECT 1", timeout=deadline)


async def connection(request: Request) -> AsyncIterator[Connection]:
    """Lend a pooled connection to one request; a 503 if none frees up in time."""
    settings: Settings = request.state.settings
    pool: asyncpg.Pool = request.state.db_pool
    try:
        # asyncio.timeout rather than acquire(timeout=...): that one wraps the wait in a
        # task of its own (asyncio.wait_for), a cost paid on every request.
        async with asyncio.timeout(settings.db_pool_acquire_timeout_seconds):
            conn = await pool.acquire()
    except TimeoutError as exc:
        raise ServiceUnavailableError("The database is busy; retry shortly.") from exc
    except (OSError, asyncpg.PostgresError) as exc:
        raise ServiceUnavailableError("The database is unreachable.") from exc
    try:
        yield conn
    finally:
        await pool.release(conn)
