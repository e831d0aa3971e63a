"""Orders end to end: the worker runs the job, retries what is worth it, records failures."""

from __future__ import annotations

import time
import uuid
from typing import Any
from uuid import UUID

import httpx
import pytest
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from {{ cookiecutter.package_name }}.api.orders.schemas import OrderCreate
from {{ cookiecutter.package_name }}.errors import ConflictError, UpstreamError
from {{ cookiecutter.package_name }}.settings import Settings

from .jobs import burst_worker, run_burst

ORDER = {"sku": "SKU-1", "quantity": 2}


class Step:
    """A fulfilment step that fails with the given errors first, then succeeds."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls: list[float] = []

    async def __call__(self, order_id: UUID, order: OrderCreate) -> None:
        self.calls.append(time.monotonic())
        if self.failures:
            raise self.failures.pop(0)


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {
        **settings_overrides,
        "worker_max_tries": 3,
        "worker_retry_delay_seconds": 0.2,
        "worker_retry_max_delay_seconds": 1.0,
    }


async def place(client: httpx.AsyncClient, **headers: str) -> str:
    response = await client.post("/api/v1/orders", json=ORDER, headers=headers)
    assert response.status_code == 202
    location: str = response.headers["location"]
    return location


async def test_a_job_runs_end_to_end(client: httpx.AsyncClient, settings: Settings) -> None:
    step = Step()
    location = await place(client)

    await run_burst(burst_worker(settings, steps=[step]))

    settled = await client.get(location)
    order = settled.json()
    assert order["status"] == "succeeded"
    assert order["finished_at"] is not None
    assert "retry-after" not in settled.headers  # nothing left to poll for
    assert len(step.calls) == 1


async def test_a_job_that_fails_twice_is_retried_with_backoff(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    step = Step(UpstreamError("503"), TimeoutError())
    location = await place(client)

    await run_burst(burst_worker(settings, steps=[step]))

    assert (await client.get(location)).json()["status"] == "succeeded"
    first, second, third = step.calls
    # Equal jitter: at least half of 0.2 s, then of 0.4 s.
    assert second - first >= 0.1
    assert third - second >= 0.2


async def test_a_job_that_always_fails_ends_failed_with_its_reason(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    step = Step(*(UpstreamError("The inventory service answered 503.") for _ in range(5)))
    location = await place(client)

    await run_burst(burst_worker(settings, steps=[step]))

    order = (await client.get(location)).json()
    assert order["status"] == "failed"
    assert order["reason"] == "The inventory service answered 503."
    assert len(step.calls) == settings.worker_max_tries


async def test_a_refused_order_is_not_retried(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    step = Step(ConflictError("Not enough of SKU-1."))
    location = await place(client)

    await run_burst(burst_worker(settings, steps=[step]))

    order = (await client.get(location)).json()
    assert (order["status"], order["reason"]) == ("failed", "Not enough of SKU-1.")
    assert len(step.calls) == 1


async def test_a_retried_post_with_the_same_key_runs_one_job(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    step = Step()
    key = str(uuid.uuid4())
    first = await place(client, **{"Idempotency-Key": key})
    await run_burst(burst_worker(settings, steps=[step]))

    again = await place(client, **{"Idempotency-Key": key})
    await run_burst(burst_worker(settings, steps=[step]))

    assert again == first
    assert len(step.calls) == 1


async def test_the_request_id_is_on_every_line_the_job_writes(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await place(client, **{"X-Request-ID": "order-trace-1"})
    worker = burst_worker(settings, steps=[Step(UpstreamError("503"))])  # configures logging

    with capture_logs(processors=[merge_contextvars]) as logs:
        await run_burst(worker)

    job_lines = [line for line in logs if "job_id" in line]
    assert {line["event"] for line in job_lines} >= {"order fulfilled", "job finished"}
    assert {line["request_id"] for line in job_lines} == {"order-trace-1"}
