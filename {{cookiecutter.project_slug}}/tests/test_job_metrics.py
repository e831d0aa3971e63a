"""The worker serves its own metrics: jobs by function and outcome, and their duration."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from {{ cookiecutter.package_name }}.settings import Settings

from .jobs import burst_worker
from throwaway import free_port


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, "worker_metrics_port": free_port()}


async def test_the_worker_counts_and_times_its_jobs(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await client.post("/api/v1/orders", json={"sku": "SKU-1", "quantity": 1})
    worker = burst_worker(settings, transport=httpx.MockTransport(lambda _: httpx.Response(201)))
    try:
        await worker.async_run()
        async with httpx.AsyncClient() as scraper:
            scraped = await scraper.get(f"http://127.0.0.1:{settings.worker_metrics_port}/metrics")
    finally:
        await worker.close()

    assert 'jobs_total{function="fulfil_order",outcome="succeeded"} 1.0' in scraped.text
    assert 'job_duration_seconds_count{function="fulfil_order"} 1.0' in scraped.text
