"""Upstream answers are cached: a repeated read does not call the inventory service again."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.clients.http import build_http_client
from {{ cookiecutter.package_name }}.deps import get_http_client
from {{ cookiecutter.package_name }}.settings import Settings

STOCK = {"sku": "SKU-1", "on_hand": 5, "reserved": 0, "updated_at": "2026-01-02T03:04:05Z"}


@pytest.fixture
def upstream_calls(app: FastAPI, settings: Settings) -> list[httpx.Request]:
    calls: list[httpx.Request] = []

    def inventory(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json=STOCK)

    async def mocked_client() -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.MockTransport(inventory)
        async with build_http_client(settings, transport=transport) as client:
            yield client

    app.dependency_overrides[get_http_client] = mocked_client
    return calls


async def test_a_repeated_stock_read_is_served_from_the_cache(
    client: httpx.AsyncClient, upstream_calls: list[httpx.Request]
) -> None:
    first = await client.get("/api/v1/stock/SKU-1")
    second = await client.get("/api/v1/stock/SKU-1")

    assert second.json() == first.json()
    assert second.headers["x-cache"] == "hit"
    assert len(upstream_calls) == 1
