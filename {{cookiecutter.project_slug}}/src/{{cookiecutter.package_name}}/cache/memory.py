"""An in-process cache with expiry and a size bound (least recently used goes first).

The default for a single-instance service and for development with nothing installed.
Each worker process has its own: several workers or instances need a shared cache server.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ..settings import Settings


class MemoryCache:
    """A bounded LRU of bytes with per-entry expiry; counters and locks live beside it."""

    name = "memory"

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._counters: dict[str, int] = {}
        self._locks: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if expires_at <= time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        self._entries[key] = (time.monotonic() + ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def incr(self, key: str) -> int:
        self._counters[key] = self._counters.get(key, 0) + 1
        return self._counters[key]

    async def get_versioned(self, counter: str, head: str, tail: str) -> tuple[int, bytes | None]:
        version = self._counters.get(counter, 0)
        return version, await self.get(f"{head}{version}{tail}")

    async def try_lock(self, key: str, ttl: float) -> bool:
        now = time.monotonic()
        if self._locks.get(key, 0.0) > now:
            return False
        self._locks[key] = now + ttl
        return True

    async def unlock(self, key: str) -> None:
        self._locks.pop(key, None)

    async def ping(self, deadline: float) -> None:
        return None


@asynccontextmanager
async def open_memory_cache(settings: Settings) -> AsyncIterator[MemoryCache]:
    """The app's in-process cache; it lives and dies with the process."""
    yield MemoryCache(settings.cache_max_entries)
