"""The CPU-bound example: digests are computed off the event loop, and are correct."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from {{ cookiecutter.package_name }}.api.digests.schemas import MAX_CONTENT_CHARS


@pytest.mark.parametrize("algorithm", ["sha256", "sha512", "sha3_256", "blake2b"])
async def test_the_digest_matches_hashlib(client: httpx.AsyncClient, algorithm: str) -> None:
    content = "héllo wörld " * 1000

    response = await client.post(
        "/api/v1/digests", json={"content": content, "algorithm": algorithm}
    )

    assert response.status_code == 200
    expected = hashlib.new(algorithm, content.encode()).hexdigest()
    assert response.json() == {
        "algorithm": algorithm,
        "size": len(content.encode()),
        "hex": expected,
    }


async def test_a_large_input_does_not_block_the_event_loop(client: httpx.AsyncClient) -> None:
    # The `client` fixture fails the test if any loop step takes longer than its threshold.
    response = await client.post("/api/v1/digests", json={"content": "x" * MAX_CONTENT_CHARS})

    assert response.status_code == 200


async def test_content_over_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/digests", json={"content": "x" * (MAX_CONTENT_CHARS + 1)})

    assert response.status_code == 422


async def test_the_longest_content_fits_in_the_body_limit_however_escaped(
    client: httpx.AsyncClient,
) -> None:
    # Escaped, a character outside the BMP is a surrogate pair: twelve bytes of JSON.
    content = "\U0001f600" * MAX_CONTENT_CHARS
    body = json.dumps({"content": content}, ensure_ascii=True)

    response = await client.post(
        "/api/v1/digests", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 200
