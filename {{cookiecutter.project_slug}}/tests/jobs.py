"""Run the worker inside a test: arq's `Worker` over the project's own options, in burst mode."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
from arq.worker import Worker

from {{ cookiecutter.package_name }}.api.orders.service import FulfilmentStep
from {{ cookiecutter.package_name }}.jobs.worker import startup, worker_settings
from {{ cookiecutter.package_name }}.settings import Settings


def burst_worker(
    settings: Settings,
    *,
    steps: Sequence[FulfilmentStep] = (),
    transport: httpx.AsyncBaseTransport | None = None,
    **options: Any,
) -> Worker:
    """A worker that runs what is queued, retries included, then stops.

    `steps` run after the project's own fulfilment steps; `transport` stands in for the
    network of the upstream client, if the project has one: by default every call to it
    succeeds (201). Other `options` go to arq's `Worker` as they are.
    """
    transport = transport or httpx.MockTransport(lambda _: httpx.Response(201))

    async def starting(ctx: dict[str, Any]) -> None:
        await startup(ctx)
        ctx["fulfilment"].extend(steps)

    defaults = worker_settings(settings)
    defaults["ctx"] = {"settings": settings, "http_transport": transport}
    defaults.update(burst=True, handle_signals=False, poll_delay=0.01, on_startup=starting)
    return Worker(**{**defaults, **options})


async def run_burst(worker: Worker) -> None:
    """Run the worker until the queue is empty, then close it (its shutdown runs)."""
    try:
        await worker.async_run()
    finally:
        await worker.close()
