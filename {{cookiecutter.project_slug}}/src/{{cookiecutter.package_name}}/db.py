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
from collections import deque
from collections.abc import AsyncIterator, Callable
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
        self._waits = _Deadlines(acquire_timeout, "The database is busy; retry shortly.")
        self._work = _Deadlines(
            statement_timeout,
            "The database did not answer in time; retry shortly.",
            cut_off=self._close_unless_settled,
        )

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        conn = await self._acquire()
        try:
            with self._work.begin(conn):
                return await conn.fetch(query, *args)
        finally:
            await self._release(conn)

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        conn = await self._acquire()
        try:
            with self._work.begin(conn):
                return await conn.fetchrow(query, *args)
        finally:
            await self._release(conn)

    async def execute(self, query: str, *args: Any) -> str:
        conn = await self._acquire()
        try:
            with self._work.begin(conn):
                return await conn.execute(query, *args)
        finally:
            await self._release(conn)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Pooled]:
        """One connection for several statements; its session is reset when handed back."""
        conn = await self._acquire()
        try:
            with self._work.begin(conn):
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
            with self._waits.begin():
                conn: Pooled = await self.pool.acquire()
        except (OSError, asyncpg.PostgresError) as exc:
            raise ServiceUnavailableError("The database is unreachable.") from exc
        return conn

    async def _release(self, conn: Pooled, *, reset: bool = False) -> None:
        try:
            if reset:
                await conn.reset(timeout=self.acquire_timeout)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            conn.terminate()  # state unknown: the pool opens a fresh connection instead
        except BaseException:  # cancelled mid-reset: the same, then the cancellation goes on
            conn.terminate()
            raise
        finally:
            await self.pool.release(conn)

    def _close_unless_settled(self, conn: Pooled) -> None:
        """After a cut-off: close the connection if it is still lent `acquire_timeout` later.

        asyncpg has asked the server to cancel the statement, and everything afterwards on
        this connection (a rollback, the release to the pool) waits for the server to
        confirm. A server that does not answer would hold the request forever; closed,
        the connection stops waiting and the pool opens a fresh one.
        """
        asyncio.get_running_loop().call_later(self.acquire_timeout, _close_if_lent, conn)


def _close_if_lent(conn: Pooled) -> None:
    with contextlib.suppress(asyncpg.InterfaceError):  # back in the pool: it settled
        conn.terminate()


class _Deadline:
    """A task inside a bounded section until `deadline` (loop time).

    Used as `with deadlines.begin():` around the section: an error out of a section its
    deadline cut off (the cancellation, or what it caused) becomes a 503 with `message`.
    """

    __slots__ = ("cancellations", "deadline", "expired", "message", "subject", "task")

    def __init__(
        self, task: asyncio.Task[Any], deadline: float, message: str, subject: Any
    ) -> None:
        self.task: asyncio.Task[Any] | None = task
        self.deadline = deadline
        self.message = message
        self.subject = subject
        self.cancellations = task.cancelling()  # requested before ours, as asyncio.timeout does
        self.expired = False

    def __enter__(self) -> None:
        return None

    def __exit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        """End the section, however it ended; the task is no longer the deadline's to cancel.

        If the deadline cancelled it, that cancellation is undone (`uncancel`), as
        `asyncio.timeout` does on exit; if nothing else cancelled it too, an error out of
        the section becomes the 503.
        """
        task, self.task, self.subject = self.task, None, None
        if task is None or not self.expired:
            return
        if task.uncancel() <= self.cancellations and error_type is not None:
            raise ServiceUnavailableError(self.message) from None


class _Deadlines:
    """Cancels tasks still in a section after `seconds`, with one timer for them all.

    `asyncio.timeout`, and asyncpg's `command_timeout`, arm and disarm a timer of their
    own per call (bench/README.md of the template: ~6 µs more per acquire while the pool
    is busy). Sections of one length run out in the order they began, so a single timer,
    armed for the oldest section still going, serves them all; a section that ends just
    drops its task.
    """

    def __init__(
        self, seconds: float, message: str, *, cut_off: Callable[[Any], None] | None = None
    ) -> None:
        self.seconds = seconds
        self.message = message
        self._cut_off = cut_off
        self._running: deque[_Deadline] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def begin(self, subject: Any = None) -> _Deadline:
        """Start bounding the current task: use the deadline as `with` around the section.

        At the deadline the task is cancelled, then `cut_off(subject)` runs, if given.
        """
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a bounded section must run inside a task")
        loop = task.get_loop()
        deadline = _Deadline(task, loop.time() + self.seconds, self.message, subject)
        while self._running and self._running[0].task is None:
            self._running.popleft()
        self._running.append(deadline)
        if self._timer is None:
            self._timer = loop.call_at(deadline.deadline, self._expire, loop)
        return deadline

    def _expire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        now = loop.time()
        while self._running and self._running[0].deadline <= now:
            deadline = self._running.popleft()
            if deadline.task is not None:
                deadline.expired = True
                deadline.task.cancel()
                if self._cut_off is not None:
                    self._cut_off(deadline.subject)
        while self._running and self._running[0].task is None:
            self._running.popleft()
        if self._running:
            self._timer = loop.call_at(self._running[0].deadline, self._expire, loop)


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    """Open the connection pool sized by the settings; close it (bounded) on exit."""
    pool = await asyncpg.create_pool(
        dsn=settings.database_url.get_secret_value(),
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        max_inactive_connection_lifetime=settings.db_pool_max_inactive_seconds,
        statement_cache_size=settings.db_statement_cache_size,
        timeout=settings.db_connect_timeout_seconds,
        server_settings={"application_name": settings.service_name},
        reset=_keep_session,
    )
    try:
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


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset after asyncpg's own rollback: none (see the module docstring)."""


async def ping(database: Database, deadline: float) -> None:
    """Prove the database answers, within `deadline` seconds."""
    async with database.pool.acquire(timeout=deadline) as conn:
        await conn.fetchval("SELECT 1", timeout=deadline)
