"""Per-client limits on writes: a 429 problem with Retry-After past them; reads never limited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.rate_limit import client_key
from {{ cookiecutter.package_name }}.settings import Settings

from .serving import client_of, serving

# Per day: a test all but never spans two windows, where the sliding count lets one more by.
LIMIT = 3
WRITE = "/api/v1/digests"  # a POST every project has
BODY = {"content": "rate limited"}
PROBLEM = "application/problem+json"


def _settings(overrides: dict[str, Any], **values: Any) -> Settings:
    return Settings(_env_file=None, environment="test", **{**overrides, **values})


@pytest.fixture
def settings(settings_overrides: dict[str, Any]) -> Settings:
    return _settings(settings_overrides, rate_limit_writes=f"{LIMIT}/day")


async def _use_up_the_limit(client: httpx.AsyncClient) -> None:
    for _ in range(LIMIT):
        assert (await client.post(WRITE, json=BODY)).status_code == 200


async def test_a_write_past_the_limit_is_a_429_problem_with_retry_after(
    client: httpx.AsyncClient,
) -> None:
    await _use_up_the_limit(client)

    response = await client.post(WRITE, json=BODY)

    assert response.status_code == 429
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 429
    assert problem["request_id"] == response.headers["x-request-id"]
    assert 1 <= int(response.headers["retry-after"]) <= 86_400
    assert response.headers["retry-after"] in problem["detail"]


async def test_a_refused_write_is_answered_before_its_body_is_read(
    client: httpx.AsyncClient,
) -> None:
    await _use_up_the_limit(client)
    chunks_sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal chunks_sent
        for chunk in (b'{"content": ', b'"never read"}'):
            chunks_sent += 1
            yield chunk

    response = await client.post(WRITE, content=body())

    assert response.status_code == 429
    assert chunks_sent == 0


async def test_reads_are_never_limited(client: httpx.AsyncClient) -> None:
    await _use_up_the_limit(client)

    reads = [await client.get("/health/live") for _ in range(LIMIT * 3)]

    assert {response.status_code for response in reads} == {200}


async def test_each_client_address_has_a_limit_of_its_own(app: FastAPI) -> None:
    async with serving(app) as (first, state):
        await _use_up_the_limit(first)
        async with client_of(app, state, address=("192.0.2.7", 4000)) as second:
            response = await second.post(WRITE, json=BODY)

        assert response.status_code == 200
        assert (await first.post(WRITE, json=BODY)).status_code == 429


async def test_a_client_may_write_again_once_retry_after_has_passed(
    settings_overrides: dict[str, Any],
) -> None:
    app_settings = _settings(settings_overrides, rate_limit_writes="2/second")
    async with serving(create_app(app_settings)) as (client, _):
        # Two, or three when they span two windows: the sliding count weighs the last one.
        responses = [await client.post(WRITE, json=BODY) for _ in range(4)]
        refused = responses[-1]
        await asyncio.sleep(int(refused.headers["retry-after"]))

        again = await client.post(WRITE, json=BODY)

    assert refused.status_code == 429
    assert again.status_code == 200


async def test_switched_off_the_service_takes_every_write(
    settings_overrides: dict[str, Any],
) -> None:
    off = _settings(settings_overrides, rate_limit_writes="1/minute", rate_limit_enabled=False)
    async with serving(create_app(off)) as (client, _):
        statuses = {(await client.post(WRITE, json=BODY)).status_code for _ in range(5)}
        document = (await client.get("/openapi.json")).text

    assert statuses == {200}
    assert '"429"' not in document


@pytest.mark.parametrize("limit", ["lots per minute", "10/second;100/minute", ""])
def test_a_limit_that_is_not_one_rate_is_refused_at_startup(
    settings_overrides: dict[str, Any], limit: str
) -> None:
    with pytest.raises(ValidationError, match="rate"):
        _settings(settings_overrides, rate_limit_writes=limit)


async def test_the_openapi_document_says_writes_may_get_429_and_reads_not(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    by_method = [(method, item[method]["responses"]) for item in paths.values() for method in item]

    writes = [responses for method, responses in by_method if method != "get"]
    reads = [responses for method, responses in by_method if method == "get"]
    assert writes
    for responses in writes:
        assert PROBLEM in responses["429"]["content"]
        assert "Retry-After" in responses["429"]["headers"]
    assert not any("429" in responses for responses in reads)


@pytest.mark.parametrize(
    ("address", "key"),
    [
        (("203.0.113.9", 5000), "203.0.113.9"),
        (("2001:db8:1:2:aaaa::1", 5000), "2001:db8:1:2::/64"),
        (("2001:db8:1:2:bbbb::9", 5000), "2001:db8:1:2::/64"),
        (("2001:db8:1:3::1", 5000), "2001:db8:1:3::/64"),
        (("::ffff:203.0.113.9", 5000), "203.0.113.9"),
        (None, "unknown"),
    ],
)
def test_clients_are_counted_by_address_and_ipv6_ones_by_their_64_block(
    address: tuple[str, int] | None, key: str
) -> None:
    assert client_key({"type": "http", "client": address}) == key
