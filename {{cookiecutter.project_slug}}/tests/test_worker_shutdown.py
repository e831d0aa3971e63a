"""A worker stopped mid-job (SIGTERM, as in a deploy) puts the job back; another runs it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from typing import Any
from uuid import UUID

import httpx
import pytest

from {{ cookiecutter.package_name }}.api.orders.schemas import OrderCreate
from {{ cookiecutter.package_name }}.settings import Settings

from .jobs import burst_worker, run_burst


class Blocking:
    """A step that hangs on its first run, as a slow upstream would, and passes afterwards."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.runs = 0

    async def __call__(self, order_id: UUID, order: OrderCreate) -> None:
        self.runs += 1
        if self.runs == 1:
            self.started.set()
            await asyncio.Event().wait()


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    # No grace: the running job is cancelled at once, the case that must lose nothing.
    return {**settings_overrides, "worker_shutdown_grace_seconds": 0}


async def test_a_job_cut_off_by_sigterm_runs_again(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    step = Blocking()
    location = (await client.post("/api/v1/orders", json={"sku": "A", "quantity": 1})).headers[
        "location"
    ]
    worker = burst_worker(settings, steps=[step])
    worker.burst = False
    # arq's own SIGTERM handler, on this loop, as the `arq` command installs it.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, worker.handle_sig, signal.SIGTERM)
    running = asyncio.create_task(worker.async_run())
    try:
        await asyncio.wait_for(step.started.wait(), 10)
        os.kill(os.getpid(), signal.SIGTERM)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(running, 10)
    finally:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)
        await worker.close()

    assert (await client.get(location)).json()["status"] == "queued"
    await run_burst(burst_worker(settings, steps=[step]))
    assert (await client.get(location)).json()["status"] == "succeeded"
    assert step.runs == 2
