"""Prometheus metrics at `/metrics`, lean enough to leave on.

Only the two series dashboards need are recorded, `http_requests_total` and
`http_request_duration_seconds` (labels `handler`, `method`, `status`); probes and the
scrape itself are left out so they do not drown the signal. With several workers, set
`PROMETHEUS_MULTIPROC_DIR` to an empty directory shared by them: each worker then
writes its samples there and every scrape sums all workers.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter
from prometheus_fastapi_instrumentator import Instrumentator, metrics

# Request latencies of a web service: 5 ms to 10 s, roughly doubling.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMEASURED_PATHS = ("/health/live", "/health/ready", "/metrics")


def install_metrics(app: FastAPI) -> CollectorRegistry:
    """Instrument the app and expose `/metrics`; return the app's own registry."""
    # One registry per app: a second app in the same process (tests, reloads) would
    # otherwise collide with the first one's series.
    registry = CollectorRegistry()
    instrumentator = Instrumentator(
        should_group_status_codes=False,
        excluded_handlers=list(UNMEASURED_PATHS),
        registry=registry,
    )
    instrumentator.add(metrics.requests(registry=registry))
    instrumentator.add(metrics.latency(buckets=LATENCY_BUCKETS, registry=registry))
    instrumentator.instrument(app).expose(app, include_in_schema=False, should_gzip=True)
    app.state.metrics_registry = registry
    return registry


def event_counter(
    registry: CollectorRegistry, name: str, documentation: str, labels: tuple[str, ...]
) -> Callable[..., None]:
    """A counter of events by label values, as a plain function to call per event."""
    counter = Counter(name, documentation, labels, registry=registry)
    children: dict[tuple[str, ...], Counter] = {}

    def count(*values: str) -> None:
        # `labels()` takes a lock and validates on every call; keep each child instead.
        child = children.get(values)
        if child is None:
            child = children[values] = counter.labels(*values)
        child.inc()

    return count
