"""Prometheus metrics: the request series dashboards need, without probe noise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry, multiprocess

from {{ cookiecutter.package_name }}.metrics import RequestMetrics

DIGESTS = {"handler": "/api/v1/digests", "method": "POST", "status": "200"}


async def test_requests_are_counted_by_handler_method_and_status(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/api/v1/digests", json={"content": "x"})
    await client.post("/api/v1/digests", json={"content": "x"})

    text = (await client.get("/metrics")).text

    assert 'http_requests_total{handler="/api/v1/digests",method="POST",status="200"} 2.0' in text
    assert "http_request_duration_seconds_bucket{" in text


async def test_probes_and_scrapes_are_not_measured(client: httpx.AsyncClient) -> None:
    await client.get("/health/live")
    await client.get("/health/ready")
    await client.get("/metrics")

    text = (await client.get("/metrics")).text

    assert 'handler="/health/live"' not in text
    assert 'handler="/metrics"' not in text


async def test_the_metrics_endpoint_serves_the_prometheus_text_format(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")


async def test_a_response_is_recorded_as_soon_as_it_is_sent(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    registry: CollectorRegistry = app.state.metrics_registry
    await client.post("/api/v1/digests", json={"content": "x"})

    assert registry.get_sample_value("http_requests_total", DIGESTS) == 1.0
    assert registry.get_sample_value("http_request_duration_seconds_count", DIGESTS) == 1.0


async def test_an_unmatched_path_is_labelled_none_not_by_its_raw_text(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    registry: CollectorRegistry = app.state.metrics_registry
    await client.get("/wp-admin/secret-probe")

    unmatched = {"handler": "none", "method": "GET", "status": "404"}
    assert registry.get_sample_value("http_requests_total", unmatched) == 1.0


THINGS = {"handler": "/things", "method": "GET", "status": "200"}
BOUNDS = ("0.005", "0.01", "0.025", "0.05", "0.5", "10.0", "+Inf")


def _buckets(registry: CollectorRegistry) -> list[float | None]:
    """The cumulative bucket counts of `/things` at `BOUNDS`."""
    name = "http_request_duration_seconds_bucket"
    return [registry.get_sample_value(name, {**THINGS, "le": le}) for le in BOUNDS]


def test_durations_land_in_their_latency_buckets() -> None:
    registry = CollectorRegistry()
    recorder = RequestMetrics(registry)
    # On a bound, below the first, twice between two, above the last.
    durations = (0.005, 0.001, 0.03, 0.03, 12.0)

    for seconds in durations:
        recorder.observe("GET", "/things", 200, seconds)
    recorder.observe("GET", "/health/live", 200, 0.001)  # not measured

    assert _buckets(registry) == [2.0, 2.0, 2.0, 4.0, 4.0, 4.0, 5.0]
    assert registry.get_sample_value("http_requests_total", THINGS) == 5.0
    assert registry.get_sample_value("http_request_duration_seconds_count", THINGS) == 5.0
    total = registry.get_sample_value("http_request_duration_seconds_sum", THINGS)
    assert total == pytest.approx(sum(durations))


# A worker process: records the durations it is given, then exits.
_WORKER = """
import sys
from prometheus_client import CollectorRegistry
from {{ cookiecutter.package_name }}.metrics import RequestMetrics

recorder = RequestMetrics(CollectorRegistry())
for seconds in sys.argv[1:]:
    recorder.observe("GET", "/things", 200, float(seconds))
"""


def _run_worker(metrics_dir: Path, *durations: float) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    command = [sys.executable, "-c", _WORKER, *map(str, durations)]
    subprocess.run(command, env=env, check=True, timeout=60)  # noqa: S603 (our own code)


def test_several_workers_add_up_in_one_scrape(tmp_path: Path) -> None:
    _run_worker(tmp_path, 0.003, 0.02, 0.3)
    _run_worker(tmp_path, 0.003, 7.0)

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(tmp_path))  # type: ignore[no-untyped-call]

    assert _buckets(registry) == [2.0, 2.0, 3.0, 3.0, 4.0, 5.0, 5.0]
    assert registry.get_sample_value("http_requests_total", THINGS) == 5.0
    total = registry.get_sample_value("http_request_duration_seconds_sum", THINGS)
    assert total == pytest.approx(0.003 + 0.02 + 0.3 + 0.003 + 7.0)
