"""Cache-aside reads that help and never hurt.

- Fail open: a backend error or timeout turns the read into a plain load, logs a
  throttled warning, and skips the cache for a moment so a dead server costs one
  timeout, not one per request.
- Fresh after writes: keys carry their namespace's generation; a write bumps it after
  committing, so no later read can find an entry loaded before the write.
- No stampede: one load per key at a time in this process (single flight), and across
  processes a short lock so one process loads while the others wait for its result.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from ..log import get_logger
from .backend import CacheBackend, CacheError

Result = Literal["hit", "miss", "error"]
Loader = Callable[[], Awaitable[bytes | None]]
Observer = Callable[[str, Result], None]

log = get_logger(__name__)

_WAIT_STEP_SECONDS = 0.02


@dataclass(frozen=True, slots=True)
class Lookup:
    body: bytes | None
    result: Result


class CachedReads:
    """Serves reads from the backend, loading and storing on a miss."""

    def __init__(
        self,
        backend: CacheBackend,
        *,
        ttl: float,
        prefix: str = "",
        lock_ttl: float = 2.0,
        bypass_seconds: float = 1.0,
        warn_every_seconds: float = 10.0,
        observe: Observer | None = None,
    ) -> None:
        self.backend = backend
        self.ttl = ttl
        self.prefix = prefix
        self.lock_ttl = lock_ttl
        self.bypass_seconds = bypass_seconds
        self.observe = observe
        self._warning = _ThrottledWarning(warn_every_seconds)
        self._bypass_until = 0.0
        self._inflight: dict[str, asyncio.Future[bytes | None]] = {}

    async def read(self, namespace: str, request_key: str, load: Loader, *, route: str) -> Lookup:
        """The body for `request_key`, from the cache or from `load` (None: nothing to serve)."""
        lookup = await self._read(namespace, request_key, load)
        if self.observe is not None:
            self.observe(route, lookup.result)
        return lookup

    async def invalidate(self, namespace: str) -> None:
        """Make every entry of the namespace unreachable; call after the write commits."""
        try:
            await self.backend.incr(self._generation_key(namespace))
        except CacheError as exc:
            # Entries written before this point live on until their TTL ends.
            self._failed(exc, action="invalidate")

    async def _read(self, namespace: str, request_key: str, load: Loader) -> Lookup:
        if time.monotonic() < self._bypass_until:
            return Lookup(await load(), "error")
        head, tail = f"{self.prefix}{namespace}:", f":{request_key}"
        try:
            generation, cached = await self.backend.get_versioned(
                self._generation_key(namespace), head, tail
            )
        except CacheError as exc:
            self._failed(exc, action="read")
            return Lookup(await load(), "error")
        if cached is not None:
            return Lookup(cached, "hit")
        return Lookup(await self._single_flight(f"{head}{generation}{tail}", load), "miss")

    async def _single_flight(self, key: str, load: Loader) -> bytes | None:
        if (pending := self._inflight.get(key)) is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            body = await self._load_once_across_processes(key, load)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # the waiters, if any, re-raise it; nobody else must
            raise
        else:
            future.set_result(body)
            return body
        finally:
            del self._inflight[key]

    async def _load_once_across_processes(self, key: str, load: Loader) -> bytes | None:
        lock = f"{key}:lock"
        try:
            owner = await self.backend.try_lock(lock, self.lock_ttl)
        except CacheError as exc:
            self._failed(exc, action="lock")
            return await load()
        if not owner:
            return await self._wait_for_owner(key) or await self._load_and_store(key, load)
        try:
            return await self._load_and_store(key, load)
        finally:
            await self._quietly(self.backend.unlock(lock), action="unlock")

    async def _wait_for_owner(self, key: str) -> bytes | None:
        """Poll for the value another process is loading, until its lock would expire."""
        deadline = time.monotonic() + self.lock_ttl
        while time.monotonic() < deadline:
            await asyncio.sleep(_WAIT_STEP_SECONDS)
            try:
                if (body := await self.backend.get(key)) is not None:
                    return body
            except CacheError as exc:
                self._failed(exc, action="read")
                return None
        return None

    async def _load_and_store(self, key: str, load: Loader) -> bytes | None:
        body = await load()
        if body is not None:
            await self._quietly(self.backend.set(key, body, self.ttl), action="write")
        return body

    async def _quietly(self, operation: Awaitable[None], *, action: str) -> None:
        try:
            await operation
        except CacheError as exc:
            self._failed(exc, action=action)

    def _failed(self, exc: CacheError, *, action: str) -> None:
        self._bypass_until = time.monotonic() + self.bypass_seconds
        self._warning.emit(backend=self.backend.name, action=action, error=str(exc))

    def _generation_key(self, namespace: str) -> str:
        return f"{self.prefix}{namespace}:generation"


class _ThrottledWarning:
    """At most one `cache_unavailable` line per interval, counting the ones held back."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next_at = 0.0
        self._held_back = 0

    def emit(self, **fields: str) -> None:
        now = time.monotonic()
        if now < self._next_at:
            self._held_back += 1
            return
        log.warning("cache_unavailable", held_back=self._held_back, **fields)
        self._held_back = 0
        self._next_at = now + self.interval
