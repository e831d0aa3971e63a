"""Cache results are counted by route and result, next to the request metrics."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from .cached_routes import PATH, add_cached_route
from .serving import serving


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    add_cached_route(app)
    return app


async def test_hits_and_misses_are_counted_by_route(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await client.get(PATH)

    text = (await client.get("/metrics")).text

    assert 'cache_requests_total{result="miss",route="' + PATH + '"} 1.0' in text
    assert 'cache_requests_total{result="hit",route="' + PATH + '"} 2.0' in text


async def test_the_app_starts_again_after_a_shutdown(app: FastAPI) -> None:
    for _ in range(2):
        async with serving(app) as (client, _):
            assert (await client.get(PATH)).status_code == 200
