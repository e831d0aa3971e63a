"""The guard that catches a blocking call in an async route actually catches one."""

from __future__ import annotations

import time

from fastapi import FastAPI

from .blocking import detect_blocking
from .serving import serving


async def test_a_sleeping_async_route_is_detected(app: FastAPI) -> None:
    async def naps() -> None:
        time.sleep(0.4)  # noqa: ASYNC251 - the mistake the guard exists to catch

    app.add_api_route("/test/naps", naps)
    async with serving(app) as (client, _), detect_blocking(threshold=0.2) as slow_steps:
        await client.get("/test/naps")

    assert len(slow_steps) == 1
    assert "took 0.4" in slow_steps[0]
