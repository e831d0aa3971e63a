"""Items CRUD against a real PostgreSQL: status codes, problems, and what is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import httpx
import pytest

ITEMS = "/api/v1/items"


async def _create(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post(ITEMS, json={"name": "Widget", **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_create_returns_201_with_the_item_and_its_location(client: httpx.AsyncClient) -> None:
    response = await client.post(
        ITEMS, json={"name": "Widget", "description": "A thing", "tags": ["Blue", "tools", "blue"]}
    )

    assert response.status_code == 201
    item = response.json()
    assert response.headers["location"] == f"{ITEMS}/{item['id']}"
    assert item["name"] == "Widget"
    assert item["description"] == "A thing"
    assert item["tags"] == ["blue", "tools"]
    created = datetime.fromisoformat(item["created_at"])
    assert created.utcoffset() is not None
    assert created.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


async def test_create_stores_items_tags_and_links(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    item = await _create(client, tags=["a", "b"])

    tags = await db.fetch(
        "SELECT t.name FROM item_tags it JOIN tags t ON t.id = it.tag_id"
        " WHERE it.item_id = $1 ORDER BY t.name",
        item["id"],
    )
    assert [row["name"] for row in tags] == ["a", "b"]


async def test_a_duplicate_name_is_a_409_problem(client: httpx.AsyncClient) -> None:
    await _create(client)

    response = await client.post(ITEMS, json={"name": "Widget"})

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "An item named 'Widget' already exists."


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 201},
        {"name": "ok", "tags": ["not a tag!"]},
        {"name": "ok", "tags": "blue"},
        {"name": "ok", "unknown": 1},
        {"name": "ok", "tags": [f"t{i}" for i in range(21)]},
    ],
)
async def test_invalid_items_are_refused_with_a_422_problem(
    client: httpx.AsyncClient, payload: dict[str, Any], db: asyncpg.Connection
) -> None:
    response = await client.post(ITEMS, json=payload)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert await db.fetchval("SELECT count(*) FROM items") == 0


async def test_read_returns_the_item(client: httpx.AsyncClient) -> None:
    item = await _create(client, tags=["x"])

    response = await client.get(f"{ITEMS}/{item['id']}")

    assert response.status_code == 200
    assert response.json() == item


@pytest.mark.parametrize("item_id", ["999999", "0", "-1", "abc", str(2**63)])
async def test_reading_a_missing_or_malformed_id_is_a_4xx_problem(
    client: httpx.AsyncClient, item_id: str
) -> None:
    response = await client.get(f"{ITEMS}/{item_id}")

    assert response.status_code in (404, 422)
    assert response.headers["content-type"] == "application/problem+json"


async def test_patch_changes_only_the_fields_sent(client: httpx.AsyncClient) -> None:
    item = await _create(client, description="old", tags=["keep"])

    response = await client.patch(f"{ITEMS}/{item['id']}", json={"description": "new"})

    assert response.status_code == 200
    updated = response.json()
    assert updated["name"] == "Widget"
    assert updated["description"] == "new"
    assert updated["tags"] == ["keep"]
    assert updated["updated_at"] > item["updated_at"]
    assert updated["created_at"] == item["created_at"]


async def test_patch_with_tags_replaces_them(client: httpx.AsyncClient) -> None:
    item = await _create(client, tags=["old", "shared"])

    response = await client.patch(f"{ITEMS}/{item['id']}", json={"tags": ["shared", "new"]})

    assert response.json()["tags"] == ["new", "shared"]


async def test_patch_to_a_taken_name_is_a_409_problem(client: httpx.AsyncClient) -> None:
    await _create(client, name="First")
    second = await _create(client, name="Second")

    response = await client.patch(f"{ITEMS}/{second['id']}", json={"name": "First"})

    assert response.status_code == 409


async def test_patch_refuses_an_explicit_null(client: httpx.AsyncClient) -> None:
    item = await _create(client)

    response = await client.patch(f"{ITEMS}/{item['id']}", json={"name": None})

    assert response.status_code == 422


async def test_patch_of_a_missing_item_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.patch(f"{ITEMS}/424242", json={"name": "x"})

    assert response.status_code == 404
    assert response.json()["detail"] == "Item 424242 does not exist."


async def test_delete_removes_the_item_and_its_links(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    item = await _create(client, tags=["gone"])

    response = await client.delete(f"{ITEMS}/{item['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get(f"{ITEMS}/{item['id']}")).status_code == 404
    assert await db.fetchval("SELECT count(*) FROM item_tags") == 0


async def test_delete_of_a_missing_item_is_a_404_problem(client: httpx.AsyncClient) -> None:
    assert (await client.delete(f"{ITEMS}/31337")).status_code == 404
