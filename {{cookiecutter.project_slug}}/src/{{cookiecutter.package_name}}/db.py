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
from collections import deque
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
        self._wait_deadlines = _WaitDeadlines(acquire_timeout)

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
        waiting = self._wait_deadlines.begin()
        try:
            conn: Pooled = await self.pool.acquire()
        except asyncio.CancelledError:
            if self._wait_deadlines.ran_out(waiting):
                raise ServiceUnavailableError("The database is busy; retry shortly.") from None
            raise
        except (OSError, asyncpg.PostgresError) as exc:
            raise ServiceUnavailableError("The database is unreachable.") from exc
        finally:
            waiting.end()
        return conn

    async def _release(self, conn: Pooled, *, reset: bool = False) -> None:
        if reset:
            try:
                await conn.reset(timeout=self.acquire_timeout)
            except (OSError, TimeoutError, asyncpg.PostgresError):
                conn.terminate()  # state unknown: the pool opens a fresh connection instead
        await self.pool.release(conn)


class _Waiting:
    """A task waiting for a connection until `deadline` (loop time)."""

    __slots__ = ("cancellations", "deadline", "expired", "task")

    def __init__(self, task: asyncio.Task[Any], deadline: float) -> None:
        self.task: asyncio.Task[Any] | None = task
        self.deadline = deadline
        self.cancellations = task.cancelling()  # requested before ours, as asyncio.timeout does
        self.expired = False

    def end(self) -> None:
        """The wait is over, however it ended: its deadline no longer concerns the task."""
        self.task = None


class _WaitDeadlines:
    """Cancels waits for a connection that outlast `seconds`, with one timer for them all.

    `asyncio.timeout` arms and disarms a timer of its own per call: ~6 µs more per request
    while the pool is busy (bench/README.md of the template). Waits of one length run out in
    the order they began, so a single timer, armed for the oldest wait still going, serves
    them all; a wait that ends just drops its task.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._waits: deque[_Waiting] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def begin(self) -> _Waiting:
        """Start bounding the current task's wait; `end()` it however it ends."""
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a connection can only be awaited inside a task")
        loop = task.get_loop()
        waiting = _Waiting(task, loop.time() + self.seconds)
        while self._waits and self._waits[0].task is None:
            self._waits.popleft()
        self._waits.append(waiting)
        if self._timer is None:
            self._timer = loop.call_at(waiting.deadline, self._expire, loop)
        return waiting

    def ran_out(self, waiting: _Waiting) -> bool:
        """Whether a cancelled wait was cancelled by its deadline alone (then undone)."""
        return (
            waiting.expired
            and waiting.task is not None
            and waiting.task.uncancel() <= waiting.cancellations
        )

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        now = loop.time()
        while self._waits and self._waits[0].deadline <= now:
            waiting = self._waits.popleft()
            if waiting.task is not None:
                waiting.expired = True
                waiting.task.cancel()
        while self._waits and self._waits[0].task is None:
            self._waits.popleft()
        if self._waits:
            self._timer = loop.call_at(self._waits[0].deadline, self._expire, loop)


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
