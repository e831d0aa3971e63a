"""PostgreSQL through one asyncpg pool, opened and closed by the lifespan.

Handlers get a `Database`: the pool with a bounded wait for a connection. A query
borrows a connection only for itself, so a request holds none while it does other
work, and no per-request dependency with cleanup (costly in FastAPI) is needed.

Session state: asyncpg resets every connection it takes back (`RESET ALL`, `UNLISTEN *`,
advisory locks, cursors), one more round trip per query. A single statement cannot need
that (an open transaction is still rolled back), so only connections lent for a block,
`connection()` and `transaction()`, where code may `SET`, lock or `LISTEN`, are reset.
Change session state in such a block, never in a one-shot `execute`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from .errors import ServiceUnavailableError
from .settings import Settings

_POOL_CLOSE_TIMEOUT_SECONDS = 10.0

# What services receive inside `Database.transaction()`, and tests from `asyncpg.connect`.
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"
Pooled: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"


class Database:
    """The pool, lending connections within a deadline: a full pool means a 503, not a hang."""

    def __init__(self, pool: asyncpg.Pool, *, acquire_timeout: float) -> None:
        self.pool = pool
        self.acquire_timeout = acquire_timeout

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await self._acquire()
        try:
            return await conn.fetch(query, *args)
        finally:
            await self._release(conn)

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        conn = await self._acquire()
        try:
            return await conn.fetchrow(query, *args)
        finally:
            await self._release(conn)

    async def execute(self, query: str, *args: Any) -> str:
        conn = await self._acquire()
        try:
            return await conn.execute(query, *args)
        finally:
            await self._release(conn)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Pooled]:
        """One connection for several statements; its session is reset when handed back."""
        conn = await self._acquire()
        try:
            yield conn
        finally:
            await self._release(conn, reset=True)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Pooled]:
        """One connection in a transaction: committed on exit, rolled back on an error."""
        async with self.connection() as conn, conn.transaction():
            yield conn

    async def _acquire(self) -> Pooled:
        try:
            if self.pool.get_idle_size():  # a connection is free: there is no wait to bound
                conn: Pooled = await self.pool.acquire()
                return conn
            # asyncio.timeout rather than acquire(timeout=...): that one wraps the wait in
            # a task of its own (asyncio.wait_for).
            async with asyncio.timeout(self.acquire_timeout):
                conn = await self.pool.acquire()
        except TimeoutError as exc:
            raise ServiceUnavailableError("The database is busy; retry shortly.") from exc
        except (OSError, asyncpg.PostgresError) as exc:
            raise ServiceUnavailableError("The database is unreachable.") from exc
        return conn

    async def _release(self, conn: Pooled, *, reset: bool = False) -> None:
        if reset:
            try:
                await conn.reset(timeout=self.acquire_timeout)
            except (OSError, TimeoutError, asyncpg.PostgresError):
                conn.terminate()  # state unknown: the pool opens a fresh connection instead
        await self.pool.release(conn)


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
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
        reset=_keep_session,
    )
    try:
        yield Database(pool, acquire_timeout=settings.db_pool_acquire_timeout_seconds)
    finally:
        try:
            await asyncio.wait_for(pool.close(), _POOL_CLOSE_TIMEOUT_SECONDS)
        except TimeoutError:
            pool.terminate()


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset after asyncpg's own rollback: none (see the module docstring)."""


async def ping(database: Database, deadline: float) -> None:
    """Prove the database answers, within `deadline` seconds."""
    async with database.pool.acquire(timeout=deadline) as conn:
        await conn.fetchval("SELECT 1", timeout=deadline)
