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


# A SIGTERM that lands while arq's poll loop has a Redis pipeline open leaves that pipeline to
# the garbage collector (arq cancels its loop mid-call): a warning of arq's, not a lost job.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_a_job_cut_off_by_sigterm_runs_again(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    step = Blocking()
    location = (await client.post("/api/v1/orders", json={"sku": "A", "quantity": 1})).headers[
        "location"
    ]
    # arq installs its own SIGINT and SIGTERM handlers on this loop, as under the `arq` command.
    worker = burst_worker(settings, steps=[step], burst=False, handle_signals=True)
    running = asyncio.create_task(worker.async_run())
    try:
        await asyncio.wait_for(step.started.wait(), 10)
        os.kill(os.getpid(), signal.SIGTERM)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(running, 10)
        await worker.close()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().remove_signal_handler(signum)

    assert (await client.get(location)).json()["status"] == "queued"
    await run_burst(burst_worker(settings, steps=[step]))
    assert (await client.get(location)).json()["status"] == "succeeded"
    assert step.runs == 2
