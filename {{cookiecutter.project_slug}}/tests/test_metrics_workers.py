"""Several worker processes: every scrape sums them all, served by whichever worker."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }}.settings import Settings

from throwaway import free_port

BATCH = 50
MAX_BATCHES = 40
DIGESTS = {"handler": "/api/v1/digests", "method": "POST", "status": "200"}


def _environment(overrides: dict[str, Any]) -> dict[str, str]:
    """The settings as the variables a deployment would set."""
    env = {**os.environ, "APP_ENVIRONMENT": "test"}
    for name, value in overrides.items():
        alias = Settings.model_fields[name].validation_alias
        text = json.dumps(value) if isinstance(value, list | dict) else str(value)
        env[alias if isinstance(alias, str) else f"APP_{name.upper()}"] = text
    return env


@pytest.fixture
def two_workers(settings_overrides: dict[str, Any], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The app under uvicorn with two worker processes sharing one metrics directory."""
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {**_environment(settings_overrides), "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    command = [
        sys.executable, "-m", "uvicorn", "{{ cookiecutter.package_name }}.main:create_app",
        "--factory", "--workers", "2", "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)  # noqa: S603
    try:
        yield f"http://127.0.0.1:{port}", metrics_dir
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


async def _wait_until_ready(client: httpx.AsyncClient) -> None:
    for _ in range(300):
        try:
            if (await client.get("/health/live")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise TimeoutError("the server did not start")


async def _post_digest(client: httpx.AsyncClient) -> int:
    response = await client.post("/api/v1/digests", json={"content": "x"})
    return response.status_code


def _counted(exposition: str) -> float:
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "http_requests_total" and sample.labels == DIGESTS:
                return sample.value
    return 0.0


async def test_a_scrape_sums_the_requests_every_worker_served(
    two_workers: tuple[str, Path],
) -> None:
    base_url, metrics_dir = two_workers
    # No connection is kept: each request is accepted anew, by whichever worker is free.
    fresh_connections = httpx.Limits(max_keepalive_connections=0)
    sent = 0
    async with httpx.AsyncClient(base_url=base_url, limits=fresh_connections) as client:
        await _wait_until_ready(client)
        # Until both workers have answered some (each writes a counter file of its own).
        while len(list(metrics_dir.glob("counter_*.db"))) < 2 and sent < BATCH * MAX_BATCHES:
            statuses = await asyncio.gather(*(_post_digest(client) for _ in range(BATCH)))
            assert statuses == [200] * BATCH
            sent += BATCH
        scrapes = [(await client.get("/metrics")).text for _ in range(4)]

    assert len(list(metrics_dir.glob("counter_*.db"))) == 2
    assert [_counted(text) for text in scrapes] == [sent] * 4
