"""The upstream client: typed answers, our errors for its failures, the request ID passed on.

The inventory service is outside this one, so it is the one thing faked: the shared
client is rebuilt around an `httpx.MockTransport` through a dependency override.
"""

from __future__ import annotations

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


@pytest.fixture
def inventory(app: FastAPI, settings: Settings) -> Inventory:
    fake = Inventory()

    async def mocked_client() -> AsyncIterator[httpx.AsyncClient]:
        async with build_http_client(settings, transport=httpx.MockTransport(fake)) as client:
            yield client

    app.dependency_overrides[get_http_client] = mocked_client
    return fake


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
