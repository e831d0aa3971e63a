"""Prometheus metrics at `/metrics`, recorded by the request middleware.

The series and labels are those of `prometheus-fastapi-instrumentator`, so its
dashboards work unchanged: `http_requests_total` and `http_request_duration_seconds`
by `handler` (the route template, `none` when no route matched), `method` and `status`.
They are recorded here rather than by its middleware because that one resolves the
route again on every request: it cost more than the rest of a cheap request's overhead
(see bench/README.md of the template). Probes and scrapes are not recorded.

With several workers, set `PROMETHEUS_MULTIPROC_DIR` to an empty directory shared by
them (before the process starts): each worker writes its samples there and every
scrape sums all workers.

Responses are recorded in batches, at most `RECORD_EVERY_SECONDS` after they were sent,
before every scrape of this worker and when the app stops. One at a time, each took
about 12 µs of a request (three locked writes to the shared files, with the CPU's caches
cold from the rest of the request); recorded together they take 3.5 µs each. A scrape
served by another worker may miss this worker's last fraction of a second.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from weakref import WeakKeyDictionary

from anyio import to_thread
from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.types import Lifespan

# Request latencies of a web service: 5 ms to 10 s, roughly doubling.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMEASURED_PATHS = frozenset({"/health/live", "/health/ready", "/metrics"})
LABELS = ("handler", "method", "status")
UNMATCHED = "none"
RECORD_EVERY_SECONDS = 0.1

# One response to record: (method, route template or None, status, seconds).
Observation = tuple[str, str | None, int, float]


class RequestMetrics:
    """Counts and times requests; `observe` is called once per response, `flush` records."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests_total",
            "Total number of requests by method, status and handler.",
            LABELS,
            registry=registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Duration of requests by method, status and handler.",
            LABELS,
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        # `labels()` validates and takes a lock on every call: keep each child instead.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._pending: list[Observation] = []
        self._timer: asyncio.TimerHandle | None = None

    def observe(self, method: str, handler: str | None, status: int, seconds: float) -> None:
        """Take one response (`handler` is None when no route matched) for the next batch."""
        self._pending.append((method, handler, status, seconds))
        if self._timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop to come back later: record it now
            self.flush()
            return
        self._timer = loop.call_later(RECORD_EVERY_SECONDS, self.flush)

    def flush(self) -> None:
        """Record every response taken so far."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        pending, self._pending = self._pending, []
        for observation in pending:
            self._record(*observation)

    def _record(self, method: str, handler: str | None, status: int, seconds: float) -> None:
        key = (handler or UNMATCHED, method, status)
        if key[0] in UNMEASURED_PATHS:
            return
        children = self._children.get(key)
        if children is None:
            labels = (key[0], method, str(status))
            children = self._children[key] = (
                self.requests.labels(*labels),
                self.duration.labels(*labels),
            )
        children[0].inc()
        children[1].observe(seconds)


def install_metrics(app: FastAPI) -> RequestMetrics:
    """Serve `/metrics` and return the recorder the request middleware feeds."""
    # One registry per app: a second app in the same process (tests, reloads) would
    # otherwise collide with the first one's series.
    registry = CollectorRegistry()
    app.state.metrics_registry = registry
    recorder = RequestMetrics(registry)
    app.router.lifespan_context = _flushing_at_stop(app.router.lifespan_context, recorder)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        recorder.flush()
        # Reading every worker's files in multiprocess mode is file I/O: not on the loop.
        body = await to_thread.run_sync(_exposition, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return recorder


def _flushing_at_stop(lifespan: Lifespan[Any], recorder: RequestMetrics) -> Lifespan[Any]:
    """The app's lifespan, then the responses still waiting to be recorded."""

    @asynccontextmanager
    async def flushing(app: Any) -> AsyncIterator[Any]:
        try:
            async with lifespan(app) as state:
                yield state
        finally:
            recorder.flush()

    return flushing


def _exposition(registry: CollectorRegistry) -> bytes:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


EventCounter = Callable[..., None]
# One per registry and name: an app whose lifespan runs twice (a test entering it again)
# asks again, and a registry refuses a second series of the same name.
_EVENT_COUNTERS: WeakKeyDictionary[CollectorRegistry, dict[str, EventCounter]] = WeakKeyDictionary()


def event_counter(
    registry: CollectorRegistry, name: str, documentation: str, labels: tuple[str, ...]
) -> EventCounter:
    """A counter of events by label values, as a plain function to call per event."""
    known = _EVENT_COUNTERS.setdefault(registry, {})
    if name not in known:
        known[name] = _new_event_counter(registry, name, documentation, labels)
    return known[name]


def _new_event_counter(
    registry: CollectorRegistry, name: str, documentation: str, labels: tuple[str, ...]
) -> EventCounter:
    counter = Counter(name, documentation, labels, registry=registry)
    children: dict[tuple[str, ...], Counter] = {}

    def count(*values: str) -> None:
        child = children.get(values)
        if child is None:
            child = children[values] = counter.labels(*values)
        child.inc()

    return count
