"""Prometheus metrics at `/metrics`, recorded by the request middleware.

The series and labels are those of `prometheus-fastapi-instrumentator`, so its
dashboards work unchanged: `http_requests_total` and `http_request_duration_seconds`
by `handler` (the route template, `none` when no route matched), `method` and `status`.
They are recorded here rather than by its middleware because that one matches the
request against every route again to find the template, a cost that grows with the
number of routes; the request middleware reads the route the app already matched.
Probes and scrapes are not recorded.

With several workers, set `PROMETHEUS_MULTIPROC_DIR` to an empty directory shared by
them (before the process starts): each worker writes its samples there and every
scrape sums all workers, as prometheus_client documents.
"""

from __future__ import annotations

import os
from collections.abc import Callable
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

# Request latencies of a web service: 5 ms to 10 s, roughly doubling.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMEASURED_PATHS = frozenset({"/health/live", "/health/ready", "/metrics"})
LABELS = ("handler", "method", "status")
UNMATCHED = "none"


class RequestMetrics:
    """Counts and times requests; `observe` is called once per response."""

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
        # `labels()` validates its arguments and takes a lock: keep each label set's children.
        self._children: dict[tuple[str | None, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, handler: str | None, status: int, seconds: float) -> None:
        """Record one response (`handler` is None when no route matched)."""
        if handler in UNMEASURED_PATHS:
            return
        key = (handler, method, status)
        children = self._children.get(key)
        if children is None:
            labels = (handler or UNMATCHED, method, str(status))
            children = (self.requests.labels(*labels), self.duration.labels(*labels))
            self._children[key] = children
        requests, duration = children
        requests.inc()
        duration.observe(seconds)


def install_metrics(app: FastAPI) -> RequestMetrics:
    """Serve `/metrics` and return the recorder the request middleware feeds."""
    # One registry per app: a second app in the same process (tests, reloads) would
    # otherwise collide with the first one's series.
    registry = CollectorRegistry()
    app.state.metrics_registry = registry

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        # Reading every worker's files in multiprocess mode is file I/O: not on the loop.
        body = await to_thread.run_sync(_exposition, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return RequestMetrics(registry)


def worker_stopped() -> None:
    """In multiprocess mode, mark this worker's live gauges gone, as prometheus_client asks.

    Its counters and histograms stay in the directory and keep counting in every scrape:
    totals never go backwards when a worker is replaced.
    """
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


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
