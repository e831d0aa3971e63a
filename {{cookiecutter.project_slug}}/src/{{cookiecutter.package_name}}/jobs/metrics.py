"""The worker's metrics: jobs by function and outcome, and how long each try took.

The worker serves its own `/metrics` (prometheus_client's `start_http_server` on
`APP_WORKER_METRICS_PORT`) instead of writing into the app's `PROMETHEUS_MULTIPROC_DIR`:
it is a process, and usually a deployment, of its own, scraped as its own target; the
multiprocess directory only joins processes of one machine started together, and would
make the app's scrape report jobs of whichever workers happened to share it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

# Jobs run for longer than requests: 10 ms to 5 min.
DURATION_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


@contextmanager
def serving_job_metrics(port: int) -> Iterator[Callable[[str, str, float], None]]:
    """Serve the job metrics on `port` (0: keep them unserved); yield the recorder."""
    registry = CollectorRegistry()
    jobs = Counter(
        "jobs_total",
        "Tries of jobs by function and outcome (succeeded, retried, failed, cancelled).",
        ("function", "outcome"),
        registry=registry,
    )
    duration = Histogram(
        "job_duration_seconds",
        "Duration of each try of a job, by function.",
        ("function",),
        buckets=DURATION_BUCKETS,
        registry=registry,
    )

    def observe(function: str, outcome: str, seconds: float) -> None:
        jobs.labels(function, outcome).inc()
        duration.labels(function).observe(seconds)

    if not port:
        yield observe
        return
    server, thread = start_http_server(port, registry=registry)
    try:
        yield observe
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
