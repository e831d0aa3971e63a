"""A small Redis client for the cache: one pipelined connection, parsed by hiredis.

Why not redis-py: on a cached read it cost about 150 µs of CPU per command (pool
checkout, a timeout per call, command objects), as much as the rest of the request. The
cache sends a handful of commands; here the replies come back in order on one
connection, so concurrent requests share it without waiting for each other, and the
commands sent in one turn of the event loop go out in one write (the model of ioredis's
auto-pipelining and StackExchange.Redis).

Every failure is a `RedisError` (a `CacheError`): a refused or lost connection, a reply
later than the timeout (the connection is dropped, so no late reply can be matched to
the wrong command), or an error reply. The next command reconnects.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import hiredis

from .backend import CacheError

Arg = bytes | str | int | float


class RedisError(CacheError):
    """Redis refused the command, answered with an error, or did not answer in time."""


class RedisReplyError(RedisError):
    """Redis answered the command with an error (`reply`: its text, such as `NOSCRIPT ...`)."""

    def __init__(self, reply: str) -> None:
        super().__init__(f"Redis: {reply}")
        self.reply = reply


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where Redis is and how to log in, from a `redis://` or `rediss://` (TLS) URL."""

    host: str
    port: int
    db: int
    username: str | None
    password: str | None
    tls: bool

    @classmethod
    def from_url(cls, url: str) -> Endpoint:
        parts = urlsplit(url)
        if parts.scheme not in {"redis", "rediss"}:
            raise ValueError(
                f"a Redis URL starts with redis:// or rediss://, not {parts.scheme}://"
            )
        database = parts.path.strip("/")
        if not database.isdigit() and database:
            raise ValueError(f"the Redis database must be a number, not {database!r}")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 6379,
            db=int(database or 0),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=parts.scheme == "rediss",
        )


class RedisClient:
    """Commands over one connection, opened on first use and again after a failure."""

    def __init__(self, endpoint: Endpoint, *, timeout: float, client_name: str) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.client_name = client_name
        self._connection: _Connection | None = None
        self._connecting = asyncio.Lock()

    async def execute(self, *args: Arg) -> Any:
        """Send one command and return its reply (bytes, int, None or a list of them)."""
        connection = self._connection
        if connection is None or connection.closed:
            connection = await self._connect()
        return await connection.send(_pack(args))

    async def aclose(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def _connect(self) -> _Connection:
        async with self._connecting:  # concurrent callers share one new connection
            if self._connection is not None and not self._connection.closed:
                return self._connection
            self._connection = await self._open()
            return self._connection

    async def _open(self) -> _Connection:
        loop = asyncio.get_running_loop()
        endpoint = self.endpoint
        try:
            async with asyncio.timeout(self.timeout):
                _, connection = await loop.create_connection(
                    lambda: _Connection(self.timeout),
                    endpoint.host,
                    endpoint.port,
                    ssl=ssl.create_default_context() if endpoint.tls else None,
                )
        except (OSError, TimeoutError) as exc:
            raise RedisError(f"cannot connect to Redis: {type(exc).__name__}") from exc
        try:
            await self._introduce(connection)  # bounded by the connection's own timeout
        except BaseException:
            connection.abort()
            raise
        return connection

    async def _introduce(self, connection: _Connection) -> None:
        """Log in, pick the database, and name the connection (visible in CLIENT LIST)."""
        endpoint = self.endpoint
        commands: list[tuple[Arg, ...]] = []
        if endpoint.password is not None:
            user = (endpoint.username,) if endpoint.username else ()
            commands.append(("AUTH", *user, endpoint.password))
        if endpoint.db:
            commands.append(("SELECT", endpoint.db))
        commands.append(("CLIENT", "SETNAME", self.client_name.replace(" ", "-")))
        replies = [connection.send(_pack(command)) for command in commands]
        for reply in await asyncio.gather(*replies, return_exceptions=True):
            if isinstance(reply, BaseException):
                raise reply


def _pack(command: tuple[Arg, ...]) -> bytes:
    # hiredis's stub declares a tuple of one item; it takes any number.
    packed: bytes = hiredis.pack_command(command)  # type: ignore[arg-type]
    return packed


class _Connection(asyncio.Protocol):
    """One socket: commands out once per turn of the loop, replies matched to them in order.

    A write per command cost about 19 µs of CPU per cached read under load (a send
    through the kernel's TCP stack each, bench/README.md of the template); the commands
    of every request that reached Redis in one turn of the loop now share one.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.closed = False
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._reader = hiredis.Reader()
        # Each command's future and when it was sent, oldest first.
        self._pending: deque[tuple[asyncio.Future[Any], float]] = deque()
        self._watchdog: asyncio.TimerHandle | None = None
        self._lost = self._loop.create_future()
        self._outgoing: list[bytes] = []  # sent in this turn of the loop, not yet written

    def send(self, command: bytes) -> asyncio.Future[Any]:
        reply: asyncio.Future[Any] = self._loop.create_future()
        if self.closed or self._transport is None:
            reply.set_exception(RedisError("the Redis connection is closed"))
            return reply
        self._outgoing.append(command)
        if len(self._outgoing) == 1:
            self._loop.call_soon(self._write_outgoing)
        self._pending.append((reply, self._loop.time()))
        if self._watchdog is None:
            self._watchdog = self._loop.call_later(self.timeout, self._check_deadline)
        return reply

    def _write_outgoing(self) -> None:
        commands, self._outgoing = self._outgoing, []
        # Closing or closed: the commands' futures fail in `connection_lost`.
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(b"".join(commands))

    async def close(self) -> None:
        if self._transport is not None and not self.closed:
            self._transport.close()
        await asyncio.shield(self._lost)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # a TCP or TLS stream

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        try:
            while (reply := self._reader.gets()) is not False:
                future, _ = self._pending.popleft()
                if future.done():  # its caller gave up (cancelled); the reply is dropped
                    continue
                if isinstance(reply, hiredis.ReplyError):
                    future.set_exception(RedisReplyError(str(reply)))
                else:
                    future.set_result(reply)
        except (hiredis.ProtocolError, IndexError):  # garbage, or a reply nobody asked for
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
        while self._pending:
            future, _ = self._pending.popleft()
            if not future.done():
                future.set_exception(RedisError("the Redis connection was lost"))
        if not self._lost.done():
            self._lost.set_result(None)

    def _check_deadline(self) -> None:
        """Drop the connection once its oldest command waited past the timeout."""
        self._watchdog = None
        if not self._pending:
            return
        due = self._pending[0][1] + self.timeout
        if self._loop.time() >= due:
            self.abort()
        else:
            self._watchdog = self._loop.call_at(due, self._check_deadline)

    def abort(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.abort()
