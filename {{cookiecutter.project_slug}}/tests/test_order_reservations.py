"""The worker reserves an order's stock upstream; 5xx and timeouts are retried, refusals not."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from {{ cookiecutter.package_name }}.settings import Settings

from .jobs import burst_worker, run_burst


class Inventory:
    """The fake upstream: answers with the given statuses in turn, remembers each request."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.statuses.pop(0) if self.statuses else 201)


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, "worker_max_tries": 3, "worker_retry_delay_seconds": 0.05}


async def fulfil(client: httpx.AsyncClient, settings: Settings, inventory: Inventory) -> Any:
    response = await client.post(
        "/api/v1/orders", json={"sku": "SKU-1", "quantity": 2}, headers={"X-Request-ID": "r-1"}
    )
    await run_burst(burst_worker(settings, transport=httpx.MockTransport(inventory)))
    return (await client.get(response.headers["location"])).json()


async def test_an_upstream_5xx_is_retried_with_the_same_reservation_key(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    inventory = Inventory(503, 502)

    order = await fulfil(client, settings, inventory)

    assert order["status"] == "succeeded"
    keys = {request.headers["idempotency-key"] for request in inventory.requests}
    assert keys == {order["id"]}
    assert len(inventory.requests) == 3
    assert {request.headers["x-request-id"] for request in inventory.requests} == {"r-1"}


async def test_a_refused_reservation_fails_at_once_with_the_reason(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    inventory = Inventory(409)

    order = await fulfil(client, settings, inventory)

    assert order["status"] == "failed"
    assert "fewer than 2" in order["reason"]
    assert len(inventory.requests) == 1
