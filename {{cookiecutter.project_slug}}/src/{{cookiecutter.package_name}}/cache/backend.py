"""What the service needs from a cache backend, and the one error backends raise."""

from __future__ import annotations

from typing import Protocol


class CacheError(Exception):
    """The backend failed or did not answer in time; callers fail open on it."""


class CacheBackend(Protocol):
    """A byte store with expiry, counters and short locks; every failure is a `CacheError`."""

    name: str

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl: float) -> None: ...

    async def incr(self, key: str) -> int:
        """Add one to a counter (0 if absent) and return the new value; counters never expire."""
        ...

    async def get_versioned(self, counter: str, head: str, tail: str) -> tuple[int, bytes | None]:
        """Read counter `counter` (0 if absent) and the value at `head + str(it) + tail`.

        One step, one round trip: the hot path of every cached read.
        """
        ...

    async def try_lock(self, key: str, ttl: float) -> bool:
        """Take a lock that expires by itself after `ttl` seconds; False if already held."""
        ...

    async def unlock(self, key: str) -> None: ...

    async def ping(self, deadline: float) -> None: ...
