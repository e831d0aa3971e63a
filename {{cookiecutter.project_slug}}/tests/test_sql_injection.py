"""Values reach SQL only as parameters: injection payloads are stored and matched as text."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

ITEMS = "/api/v1/items"
PAYLOADS = (
    "'; DROP TABLE items; --",
    "x' OR '1'='1",
    '" OR 1=1 --',
    "1; SELECT pg_sleep(5)",
    "$1::text",
    "\\'; TRUNCATE tags; --",
    "%' OR name ILIKE '%",
)


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_a_payload_in_a_name_is_stored_verbatim_and_touches_nothing_else(
    client: httpx.AsyncClient, db: asyncpg.Connection, payload: str
) -> None:
    await client.post(ITEMS, json={"name": "bystander", "tags": ["kept"]})

    created = await client.post(ITEMS, json={"name": payload, "description": payload})

    assert created.status_code == 201
    assert created.json()["name"] == payload
    assert await db.fetchval("SELECT count(*) FROM items") == 2
    assert await db.fetchval("SELECT count(*) FROM tags") == 1


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_a_payload_in_the_search_matches_only_itself(
    client: httpx.AsyncClient, payload: str
) -> None:
    await client.post(ITEMS, json={"name": "bystander"})
    await client.post(ITEMS, json={"name": f"before {payload} after"})

    response = await client.get(ITEMS, params={"q": payload})

    assert response.status_code == 200
    assert [item["name"] for item in response.json()["items"]] == [f"before {payload} after"]


@pytest.mark.parametrize("wildcard", ["%", "_", "\\"])
async def test_like_wildcards_in_the_search_match_themselves(
    client: httpx.AsyncClient, wildcard: str
) -> None:
    await client.post(ITEMS, json={"name": "plain"})
    await client.post(ITEMS, json={"name": f"with {wildcard} inside"})

    response = await client.get(ITEMS, params={"q": wildcard})

    assert [item["name"] for item in response.json()["items"]] == [f"with {wildcard} inside"]


async def test_a_payload_in_a_path_or_tag_is_refused_by_validation(
    client: httpx.AsyncClient,
) -> None:
    by_id = await client.get(f"{ITEMS}/1 OR 1=1")
    by_tag = await client.get(ITEMS, params={"tag": "x' OR '1'='1"})

    assert by_id.status_code == 422
    assert by_tag.status_code == 422
