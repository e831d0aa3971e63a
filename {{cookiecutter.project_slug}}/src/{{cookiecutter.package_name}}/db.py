"""PostgreSQL through one asyncpg pool, opened and closed by the lifespan.

Handlers get a `Database`: the pool with a bounded wait for a connection and a bounded
time for the work done on it (a 503 past either, never a hang). A query borrows a
connection only for itself, so a request holds none while it does other work, and no
per-request dependency with cleanup (costly in FastAPI) is needed.

Session state: asyncpg resets every connection it takes back (`RESET ALL`, `UNLISTEN *`,
advisory locks, cursors), one more round trip per query. A single statement cannot need
that (an open transaction is still rolled back), so only connections lent for a block,
`connection()` and `transaction()`, where code may `SET`, lock or `LISTEN`, are reset.
Change session state in such a block, never in a one-shot `execute`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import asyncpg
import stamina
from asyncpg.pool import PoolConnectionProxy

from .db_budget import warn_if_over_budget
from .errors import ServiceUnavailableError
from .settings import Settings

_POOL_CLOSE_TIMEOUT_SECONDS = 10.0

# What services receive inside `Database.transaction()`, and tests from `asyncpg.connect`.
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"
Pooled: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"

# A server that is down, still starting or full: worth waiting for at startup.
_NOT_READY_YET = (
    OSError,
    TimeoutError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)

# The server went away while a connection was lent: shut down, crashed, the connection cut.
# The protocol error is asyncpg's when a server's farewell reaches a connection it then lends.
_CONNECTION_LOST = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.ConnectionFailureError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.InternalClientError,
)

_BUSY = "The database is busy; retry shortly."
_SLOW = "The database did not answer in time; retry shortly."
_UNREACHABLE = "The database is unreachable."


class DatabaseUnavailableError(RuntimeError):
    """PostgreSQL could not be reached at startup; the message says why."""


class Database:
    """The pool, lending connections within a deadline and bounding the work done on them.

    A full pool means a 503 after `acquire_timeout`, not a hang; so does a statement, or a
    `connection()` / `transaction()` block, still running after `statement_timeout`.
    """

    def __init__(
        self, pool: asyncpg.Pool, *, acquire_timeout: float, statement_timeout: float
    ) -> None:
        self.pool = pool
        self.acquire_timeout = acquire_timeout
        self.statement_timeout = statement_timeout
        # Turns at the pool, first come first served (see `_acquire`).
        self._turns = asyncio.Semaphore(pool.get_max_size())

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        async with self._lend() as conn:
            return await conn.fetch(query, *args)

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        async with self._lend() as conn:
            return await conn.fetchrow(query, *args)

    async def execute(self, query: str, *args: Any) -> str:
        async with self._lend() as conn:
            return await conn.execute(query, *args)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Pooled]:
        """One connection for several statements; its session is reset when handed back."""
        async with self._lend() as conn:
            try:
                yield conn
            finally:
                await self._reset(conn)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Pooled]:
        """One connection in a transaction: committed on exit, rolled back on an error."""
        async with self.connection() as conn, conn.transaction():
            yield conn

    @asynccontextmanager
    async def _lend(self) -> AsyncIterator[Pooled]:
        """A connection within `acquire_timeout`, the work on it within `statement_timeout`.

        The one place where waiting too long, or a server that is unreachable or goes away
        mid-statement, becomes the 503. On a timeout asyncpg asks the server to cancel the
        statement.
        """
        conn = await self._acquire()
        try:
            async with asyncio.timeout(self.statement_timeout):
                yield conn
        except TimeoutError:
            raise ServiceUnavailableError(_SLOW) from None
        except Exception as exc:
            if not _lost_connection(exc):
                raise
            _terminate(conn)  # never lent again: the pool opens a fresh one
            raise ServiceUnavailableError(_UNREACHABLE) from exc
        finally:
            try:
                await self._release(conn)
            finally:
                self._turns.release()

    async def _acquire(self) -> Pooled:
        """A connection, with a turn taken in order of arrival, all within `acquire_timeout`.

        asyncpg's pool wakes a waiter when a connection comes back, but a newcomer can take
        that connection before the waiter runs, and the waiter queues again behind it: under
        load some requests lose every race and end in the 503 while later ones are served.
        A turn (a fair semaphore, one per connection) goes to the longest waiter, so the pool
        has a connection free for whoever holds one.
        """
        try:
            async with asyncio.timeout(self.acquire_timeout):
                await self._turns.acquire()
                try:
                    conn: Pooled = await self.pool.acquire()
                except BaseException:
                    self._turns.release()
                    raise
        except TimeoutError:
            raise ServiceUnavailableError(_BUSY) from None
        except (OSError, asyncpg.PostgresError) as exc:
            raise ServiceUnavailableError(_UNREACHABLE) from exc
        return conn

    async def _reset(self, conn: Pooled) -> None:
        """Undo what a block did to the session; a connection that cannot be reset is closed."""
        try:
            async with asyncio.timeout(self.acquire_timeout):
                await conn.reset()
        except (
            OSError,
            TimeoutError,
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
            asyncpg.InternalClientError,
        ):
            _terminate(conn)  # state unknown: the pool opens a fresh connection instead

    async def _release(self, conn: Pooled) -> None:
        """Hand the connection back; asyncpg closes it if it does not settle in time.

        After a cut-off the server has been asked to cancel the statement, and the
        connection settles only once it confirms; one that never answers is closed.
        """
        with contextlib.suppress(
            OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError
        ):
            await self.pool.release(conn, timeout=self.acquire_timeout)


def _lost_connection(error: BaseException) -> bool:
    """Whether the error, or one it arose from, says the server went away.

    Leaving a `transaction()` on a closed connection raises an error of its own, whose
    context holds the one that cut the statement off.
    """
    cause: BaseException | None = error
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, _CONNECTION_LOST):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def _terminate(conn: Pooled) -> None:
    """Close a lent connection at once; one the server closed is already handed back."""
    with contextlib.suppress(asyncpg.InterfaceError):
        conn.terminate()


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    """Open the connection pool sized by the settings; close it (bounded) on exit."""
    pool = await _connect(settings)
    try:
        await warn_if_over_budget(pool, settings)
        yield Database(
            pool,
            acquire_timeout=settings.db_pool_acquire_timeout_seconds,
            statement_timeout=settings.db_command_timeout_seconds,
        )
    finally:
        try:
            await asyncio.wait_for(pool.close(), _POOL_CLOSE_TIMEOUT_SECONDS)
        except TimeoutError:
            pool.terminate()


async def _connect(settings: Settings) -> asyncpg.Pool:
    """The pool, once PostgreSQL accepts connections: retried with backoff, within a bound.

    Many workers starting at once (a deploy, a node coming back) would open their first
    connections in one burst: each waits a random moment first. A server still starting is
    waited for; refused credentials or a missing database fail at once, since waiting
    cannot fix them.
    """
    await asyncio.sleep(random.uniform(0, settings.db_connect_jitter_seconds))  # noqa: S311
    try:
        async for attempt in stamina.retry_context(
            on=_NOT_READY_YET,
            attempts=None,
            timeout=settings.db_startup_timeout_seconds,
            wait_max=2.0,
        ):
            with attempt:
                pool = await _create_pool(settings)
    except _NOT_READY_YET as exc:
        raise DatabaseUnavailableError(
            f"PostgreSQL did not accept connections within {settings.db_startup_timeout_seconds:g}"
            f" s ({type(exc).__name__}: {exc})"
        ) from exc
    except asyncpg.PostgresError as exc:
        raise DatabaseUnavailableError(f"PostgreSQL refused the connection: {exc}") from exc
    return pool


async def _create_pool(settings: Settings) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        dsn=settings.database_url.get_secret_value(),
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        max_inactive_connection_lifetime=settings.db_pool_max_inactive_seconds,
        statement_cache_size=settings.db_statement_cache_size,
        # Every statement asyncpg sends, its own ROLLBACK after a cut-off block included.
        command_timeout=settings.db_command_timeout_seconds,
        timeout=settings.db_connect_timeout_seconds,
        server_settings={"application_name": settings.service_name},
        reset=_keep_session,
    )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset after asyncpg's own rollback: none (see the module docstring)."""


async def ping(database: Database, deadline: float) -> None:
    """Prove the database answers, within `deadline` seconds."""
    async with database.pool.acquire(timeout=deadline) as conn:
        await conn.fetchval("SELECT 1", timeout=deadline)
