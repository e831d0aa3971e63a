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
before every scrape of this worker and when the app stops. A batch is summed per label
set first, then written once per label set: the count, the time, and each bucket that
got responses. prometheus_client writes a histogram one observation at a time (in
multiprocess mode three locked writes to the shared files each), so the sums go to the
histogram's own values (`_sum`, `_buckets`) directly; `_histogram_values` checks that
they are there and match our buckets before a label set's first write. A scrape served
by another worker may miss this worker's last fraction of a second.
"""

from __future__ import annotations

import asyncio
import math
import os
from bisect import bisect_left
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
from prometheus_client.values import ValueClass
from starlette.types import Lifespan

# Request latencies of a web service: 5 ms to 10 s, roughly doubling.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# The histogram's upper bounds: ours, then prometheus_client's +Inf.
_UPPER_BOUNDS = (*LATENCY_BUCKETS, math.inf)
UNMEASURED_PATHS = frozenset({"/health/live", "/health/ready", "/metrics"})
LABELS = ("handler", "method", "status")
UNMATCHED = "none"
RECORD_EVERY_SECONDS = 0.1

# One response to record: (method, route template or None, status, seconds).
Observation = tuple[str, str | None, int, float]
# One label set: (handler, method, status).
SeriesKey = tuple[str, str, int]


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
        # `labels()` validates and takes a lock on every call: keep each label set's series.
        self._series: dict[SeriesKey, _Series] = {}
        self._pending: list[Observation] = []
        self._timer: asyncio.TimerHandle | None = None

    def observe(self, method: str, handler: str | None, status: int, seconds: float) -> None:
        """Take one response (`handler` is None when no route matched) for the next batch."""
        if handler in UNMEASURED_PATHS:  # probes and scrapes never enter a batch
            return
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
        for key, tally in _tallies(pending).items():
            self._series_of(key).record(tally)

    def _series_of(self, key: SeriesKey) -> _Series:
        series = self._series.get(key)
        if series is None:
            labels = (key[0], key[1], str(key[2]))
            series = self._series[key] = _Series(
                self.requests.labels(*labels), self.duration.labels(*labels)
            )
        return series


class _Tally:
    """One label set's share of a batch: how many responses, their time, per bucket."""

    __slots__ = ("buckets", "count", "seconds")

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.buckets = [0] * len(_UPPER_BOUNDS)

    def add(self, seconds: float) -> None:
        self.count += 1
        self.seconds += seconds
        # The first bound at or above it, as `Histogram.observe` picks it.
        self.buckets[bisect_left(_UPPER_BOUNDS, seconds)] += 1


def _tallies(observations: list[Observation]) -> dict[SeriesKey, _Tally]:
    """The observations summed per label set."""
    tallies: dict[SeriesKey, _Tally] = {}
    for method, handler, status, seconds in observations:
        key = (handler or UNMATCHED, method, status)
        tally = tallies.get(key)
        if tally is None:
            tally = tallies[key] = _Tally()
        tally.add(seconds)
    return tallies


class _Series:
    """One label set's counter and histogram, written a tally at a time."""

    __slots__ = ("buckets", "requests", "total")

    def __init__(self, requests: Counter, duration: Histogram) -> None:
        self.requests = requests
        self.total, self.buckets = _histogram_values(duration)

    def record(self, tally: _Tally) -> None:
        self.requests.inc(tally.count)
        self.total.inc(tally.seconds)
        for value, count in zip(self.buckets, tally.buckets, strict=True):
            if count:
                value.inc(count)


def _histogram_values(histogram: Histogram) -> tuple[ValueClass, list[ValueClass]]:
    """The values behind one histogram child: its sum, and its per-bucket counts."""
    total = getattr(histogram, "_sum", None)
    buckets = getattr(histogram, "_buckets", None)
    bounds = tuple(getattr(histogram, "_upper_bounds", ()))
    if total is None or not isinstance(buckets, list) or bounds != _UPPER_BOUNDS:
        raise RuntimeError(
            "prometheus_client's Histogram no longer keeps _sum, _buckets and _upper_bounds "
            "as metrics.py writes them; record with Histogram.observe instead"
        )
    return total, buckets


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
