"""Bounds on what a client can send: body (413), URL (414), headers (431), as problems."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from {{ cookiecutter.package_name }}.settings import Settings

BODY_LIMIT = 4096
CHUNK = b" " * 1024
DIGESTS = "/api/v1/digests"
PROBLEM = "application/problem+json"


@pytest.fixture
def settings(settings_overrides: dict[str, Any]) -> Settings:
    return Settings(
        _env_file=None,
        environment="test",
        max_body_bytes=BODY_LIMIT,
        max_url_bytes=1024,
        max_header_count=20,
        max_header_bytes=2048,
        **settings_overrides,
    )


class CountedBody:
    """A request body sent in chunks, counting how many the app asked for."""

    def __init__(self, chunks: int) -> None:
        self.chunks = chunks
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'{"content": "'
        for _ in range(self.chunks):
            self.sent += 1
            yield CHUNK
        yield b'"}'


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == status


async def test_a_body_within_the_limit_is_served(client: httpx.AsyncClient) -> None:
    response = await client.post(DIGESTS, json={"content": "x" * (BODY_LIMIT - 100)})

    assert response.status_code == 200


async def test_a_declared_oversize_body_is_refused_before_any_of_it_is_read(
    client: httpx.AsyncClient,
) -> None:
    body = CountedBody(chunks=1000)
    declared = {"Content-Length": str(1000 * len(CHUNK) + 15), "Content-Type": "application/json"}

    response = await client.post(DIGESTS, content=body, headers=declared)

    assert_problem(response, 413)
    assert response.headers["connection"] == "close"
    assert body.sent == 0


async def test_a_chunked_oversize_body_is_refused_once_it_passes_the_limit(
    client: httpx.AsyncClient,
) -> None:
    body = CountedBody(chunks=1000)

    response = await client.post(
        DIGESTS, content=body, headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 413)
    assert "content-length" not in response.request.headers
    # Reading stops at the first chunk past the limit: the rest is never asked for.
    assert body.sent <= BODY_LIMIT // len(CHUNK) + 1


async def test_a_chunked_body_within_the_limit_is_served(client: httpx.AsyncClient) -> None:
    response = await client.post(
        DIGESTS, content=CountedBody(chunks=2), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 200


async def test_an_overlong_url_is_refused_with_414(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", params={"q": "x" * 1024})

    assert_problem(response, 414)


async def test_too_many_headers_are_refused_with_431(client: httpx.AsyncClient) -> None:
    headers = {f"X-Extra-{index}": "1" for index in range(20)}

    response = await client.get("/health/live", headers=headers)

    assert_problem(response, 431)


async def test_oversize_headers_are_refused_with_431(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"Cookie": "a=" + "x" * 2048})

    assert_problem(response, 431)


async def test_a_refused_request_carries_its_request_id(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/health/live", params={"q": "x" * 1024}, headers={"X-Request-ID": "too-long-url"}
    )

    assert response.headers["x-request-id"] == "too-long-url"
    assert response.json()["request_id"] == "too-long-url"
