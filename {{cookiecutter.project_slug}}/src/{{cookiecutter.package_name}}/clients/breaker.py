"""Circuit breakers: stop calling an upstream that keeps failing, and say so at once.

Without one, every request to a dead upstream waits out its own timeout (and its connect
retries), holding a connection and a worker slot while the upstream gets no rest. After
`http_breaker_failures` failures in a row the circuit opens: calls fail at once with a
503 problem for `http_breaker_open_seconds`; then the next calls go through as a trial,
and the first success closes the circuit again (purgatory's half-open state).

The circuits live in memory, one set per process: a process learns of a dead upstream
from its own calls, which costs each worker at most `http_breaker_failures` slow answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState

from ..errors import NotFoundError, ServiceUnavailableError
from ..settings import Settings


def build_breakers(settings: Settings) -> AsyncCircuitBreakerFactory:
    """One circuit per upstream, created on first use; a 404 is an answer, not a failure."""
    return AsyncCircuitBreakerFactory(
        default_threshold=settings.http_breaker_failures,
        default_ttl=settings.http_breaker_open_seconds,
        exclude=[NotFoundError],
    )


@asynccontextmanager
async def guarded(breakers: AsyncCircuitBreakerFactory, upstream: str) -> AsyncIterator[None]:
    """Run the block unless `upstream`'s circuit is open; count what the block raises."""
    try:
        # Only entering raises `OpenedState`: the block's own errors pass through, counted.
        async with await breakers.get_breaker(upstream):
            yield
    except OpenedState:
        raise ServiceUnavailableError(
            f"The {upstream} service keeps failing; calls to it are paused. Retry shortly."
        ) from None
