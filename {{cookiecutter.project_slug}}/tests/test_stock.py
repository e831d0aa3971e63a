"""The upstream client: typed answers, our errors for its failures, the request ID passed on.

The inventory service is outside this one, so it is the one thing faked: the shared
client is rebuilt around an `httpx.MockTransport` through a dependency override.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.clients.http import build_http_client
from {{ cookiecutter.package_name }}.deps import get_http_client
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings

from .serving import serving
from .silent_server import silent_server

Handler = Callable[[httpx.Request], httpx.Response]
STOCK = {"sku": "SKU-1", "on_hand": 10, "reserved": 3, "updated_at": "2026-01-02T03:04:05Z"}


class Inventory:
    """The fake upstream: answers with `handler` and remembers every request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.handler: Handler = lambda _: httpx.Response(200, json=STOCK)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


def mock_upstream(app: FastAPI, settings: Settings) -> Inventory:
    """Serve the app's upstream calls from a fake inventory."""
    fake = Inventory()

    async def mocked_client() -> AsyncIterator[httpx.AsyncClient]:
        async with build_http_client(settings, transport=httpx.MockTransport(fake)) as client:
            yield client

    app.dependency_overrides[get_http_client] = mocked_client
    return fake


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    # A circuit opens after three failures and stays open longer than any test takes.
    return {**settings_overrides, "http_breaker_failures": 3, "http_breaker_open_seconds": 60}


@pytest.fixture
def inventory(app: FastAPI, settings: Settings) -> Inventory:
    return mock_upstream(app, settings)


def fails(_: httpx.Request) -> httpx.Response:
    return httpx.Response(500)


async def test_stock_is_what_is_on_hand_and_not_reserved(
    client: httpx.AsyncClient, inventory: Inventory, settings: Settings
) -> None:
    response = await client.get("/api/v1/stock/SKU-1")

    assert response.status_code == 200
    assert response.json() == {
        "sku": "SKU-1",
        "available": 7,
        "updated_at": "2026-01-02T03:04:05Z",
    }
    (request,) = inventory.requests
    assert str(request.url) == f"{settings.inventory_api_url}/stock/SKU-1"


async def test_the_request_id_is_passed_upstream(
    client: httpx.AsyncClient, inventory: Inventory
) -> None:
    await client.get("/api/v1/stock/SKU-1", headers={"X-Request-ID": "trace-me"})

    assert inventory.requests[0].headers["x-request-id"] == "trace-me"


async def test_an_unknown_sku_upstream_is_our_404(
    client: httpx.AsyncClient, inventory: Inventory
) -> None:
    inventory.handler = lambda _: httpx.Response(404)

    response = await client.get("/api/v1/stock/NOPE")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500),
        httpx.Response(503),
        httpx.Response(200, json={"sku": "SKU-1"}),
        httpx.Response(200, content=b"<html>maintenance</html>"),
    ],
)
async def test_a_failing_or_garbled_upstream_is_a_502_problem(
    client: httpx.AsyncClient, inventory: Inventory, answer: httpx.Response
) -> None:
    inventory.handler = lambda _: answer

    response = await client.get("/api/v1/stock/SKU-1")

    assert response.status_code == 502
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_upstream_timeout_is_a_502_problem(
    client: httpx.AsyncClient, inventory: Inventory
) -> None:
    def times_out(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    inventory.handler = times_out

    response = await client.get("/api/v1/stock/SKU-1")

    assert response.status_code == 502
    assert response.json()["detail"] == "The inventory service did not answer in time."


@pytest.mark.parametrize("sku", ["has space", "x" * 65, "-leading-dash"])
async def test_a_malformed_sku_is_refused_before_any_upstream_call(
    client: httpx.AsyncClient, inventory: Inventory, sku: str
) -> None:
    response = await client.get(f"/api/v1/stock/{sku}")

    assert response.status_code == 422
    assert inventory.requests == []


async def test_an_unreachable_upstream_is_a_502_problem(
    settings_overrides: dict[str, Any], unused_tcp_port: int
) -> None:
    # The real transport, with its connect retries, against a port nobody listens on.
    settings = Settings(
        _env_file=None,
        environment="test",
        inventory_api_url=f"http://127.0.0.1:{unused_tcp_port}",
        http_connect_retries=1,
        **settings_overrides,
    )
    async with serving(create_app(settings)) as (client, _):
        response = await client.get("/api/v1/stock/SKU-1")

    assert response.status_code == 502
    assert response.json()["detail"] == "The inventory service is unreachable."


async def test_a_hung_upstream_is_a_502_problem_once_the_read_timeout_passes(
    settings_overrides: dict[str, Any],
) -> None:
    async with silent_server() as address:
        settings = Settings(
            _env_file=None,
            environment="test",
            **{**settings_overrides, "inventory_api_url": f"http://{address}"},
            http_read_timeout_seconds=0.3,
        )
        async with serving(create_app(settings)) as (client, _):
            started = time.perf_counter()
            response = await client.get("/api/v1/stock/SKU-1")
            took = time.perf_counter() - started

    assert response.status_code == 502
    assert response.json()["detail"] == "The inventory service did not answer in time."
    assert took < 0.3 + 1.0


async def test_a_failing_upstream_is_called_once_per_request_until_its_circuit_opens(
    client: httpx.AsyncClient, inventory: Inventory
) -> None:
    inventory.handler = fails

    failed = [await client.get(f"/api/v1/stock/SKU-{n}") for n in range(3)]
    paused = [await client.get(f"/api/v1/stock/SKU-{n}") for n in range(3, 10)]

    assert [response.status_code for response in failed] == [502] * 3
    assert len(inventory.requests) == 3  # no retries once the request reached the upstream
    assert [response.status_code for response in paused] == [503] * 7
    assert {response.headers["content-type"] for response in paused} == {"application/problem+json"}
    assert "paused" in paused[0].json()["detail"]


async def test_unknown_skus_do_not_open_the_circuit(
    client: httpx.AsyncClient, inventory: Inventory
) -> None:
    inventory.handler = lambda _: httpx.Response(404)

    statuses = [(await client.get(f"/api/v1/stock/SKU-{n}")).status_code for n in range(6)]

    assert statuses == [404] * 6
    assert len(inventory.requests) == 6


async def test_the_circuit_closes_after_a_successful_trial_once_it_was_open_long_enough(
    settings_overrides: dict[str, Any],
) -> None:
    overrides = {**settings_overrides, "http_breaker_open_seconds": 0.2}
    settings = Settings(_env_file=None, environment="test", **overrides)
    app = create_app(settings)
    inventory = mock_upstream(app, settings)
    inventory.handler = fails
    async with serving(app) as (client, _):
        for n in range(3):
            await client.get(f"/api/v1/stock/SKU-{n}")
        assert (await client.get("/api/v1/stock/SKU-3")).status_code == 503
        inventory.handler = lambda _: httpx.Response(200, json=STOCK)
        await asyncio.sleep(0.3)

        statuses = [(await client.get(f"/api/v1/stock/SKU-{n}")).status_code for n in range(4, 8)]

    assert statuses == [200] * 4
    assert len(inventory.requests) == 3 + 4
