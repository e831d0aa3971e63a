"""Placing orders: 202 with a Location to poll, and idempotency keys that place an order once."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from arq import ArqRedis

from {{ cookiecutter.package_name }}.jobs.queue import REDIS_TIMEOUT_SECONDS, open_queue
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings

from .conftest import CLIENT_HEADERS
from .serving import serving
from .silent_server import silent_server
from throwaway import free_port

ORDER = {"sku": "SKU-1", "quantity": 2}


def new_key() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, "idempotency_key_ttl_seconds": 0.5}


@pytest.fixture
async def queue(settings: Settings) -> AsyncIterator[ArqRedis]:
    async with open_queue(settings) as queue:
        yield queue


async def test_an_order_is_accepted_with_a_location_to_poll(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/orders", json=ORDER)

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    assert response.headers["location"] == f"/api/v1/orders/{body['id']}"
    assert response.headers["retry-after"] == "1"
    polled = await client.get(response.headers["location"])
    assert polled.status_code == 200
    assert polled.json()["status"] == "queued"
    assert polled.json()["sku"] == "SKU-1"
    assert polled.headers["retry-after"] == "1"  # not settled: poll again in a second


async def test_an_unknown_order_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/orders/{uuid.uuid4()}")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_invalid_order_is_a_422_problem(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/orders", json={"sku": "SKU-1", "quantity": 0})

    assert response.status_code == 422


async def test_a_retry_with_the_same_key_gets_the_first_answer(
    client: httpx.AsyncClient,
) -> None:
    headers = {"Idempotency-Key": new_key()}

    first = await client.post("/api/v1/orders", json=ORDER, headers=headers)
    second = await client.post("/api/v1/orders", json=ORDER, headers=headers)

    assert first.status_code == second.status_code == 202
    assert second.content == first.content
    assert second.headers["location"] == first.headers["location"]


async def test_the_same_key_with_another_body_is_a_422_problem(
    client: httpx.AsyncClient,
) -> None:
    headers = {"Idempotency-Key": new_key()}
    await client.post("/api/v1/orders", json=ORDER, headers=headers)

    response = await client.post("/api/v1/orders", json={**ORDER, "quantity": 3}, headers=headers)

    assert response.status_code == 422
    assert "another request" in response.json()["detail"]


async def test_bad_keys_are_400_problems(client: httpx.AsyncClient) -> None:
    for key in ("", '""', "k" * 256, "a\tb", '"a\\"b"'):
        response = await client.post("/api/v1/orders", json=ORDER, headers={"Idempotency-Key": key})

        assert response.status_code == 400, key
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_quoted_key_is_the_same_key_unquoted(client: httpx.AsyncClient) -> None:
    key = new_key()
    first = await client.post("/api/v1/orders", json=ORDER, headers={"Idempotency-Key": key})
    second = await client.post(
        "/api/v1/orders", json=ORDER, headers={"Idempotency-Key": f'"{key}"'}
    )

    assert second.content == first.content


async def test_a_key_can_be_used_again_once_it_expired(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": new_key()}
    first = await client.post("/api/v1/orders", json=ORDER, headers=headers)
    await asyncio.sleep(0.6)

    again = await client.post("/api/v1/orders", json={**ORDER, "quantity": 3}, headers=headers)

    assert again.status_code == 202
    assert again.json()["id"] != first.json()["id"]


async def test_concurrent_requests_with_one_key_enqueue_one_job(
    client: httpx.AsyncClient, queue: ArqRedis
) -> None:
    headers = {"Idempotency-Key": new_key()}

    responses = await asyncio.gather(
        *(client.post("/api/v1/orders", json=ORDER, headers=headers) for _ in range(20))
    )

    accepted = [r for r in responses if r.status_code == 202]
    in_flight = [r for r in responses if r.status_code == 409]
    assert len(accepted) + len(in_flight) == 20
    assert {r.content for r in accepted} == {accepted[0].content}
    assert all(int(r.headers["retry-after"]) >= 1 for r in in_flight)
    assert len(await queue.queued_jobs()) == 1


@asynccontextmanager
async def nothing_listening() -> AsyncIterator[str]:
    """A loopback address nobody listens on: a Redis that is down."""
    yield f"127.0.0.1:{free_port()}"


@pytest.mark.parametrize("redis", [nothing_listening, silent_server], ids=["down", "hung"])
async def test_orders_are_a_fast_503_problem_while_the_queue_redis_fails(
    redis: Callable[[], AbstractAsyncContextManager[str]], settings_overrides: dict[str, Any]
) -> None:
    async with redis() as address:
        overrides = {**settings_overrides, "redis_url": f"redis://{address}/0"}
        app = create_app(Settings(_env_file=None, environment="test", **overrides))
        async with serving(app) as (client, _):
            client.headers.update(CLIENT_HEADERS)
            started = time.perf_counter()
            response = await client.post(
                "/api/v1/orders", json=ORDER, headers={"Idempotency-Key": new_key()}
            )
            took = time.perf_counter() - started

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert took < REDIS_TIMEOUT_SECONDS + 1.0
