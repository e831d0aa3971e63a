"""Cached item reads: served from the cache, never stale after a write, HTTP-revalidated."""

from __future__ import annotations

from typing import Any

import httpx
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

ITEMS = "/api/v1/items"


async def _create(client: httpx.AsyncClient, name: str, **fields: Any) -> dict[str, Any]:
    response = await client.post(ITEMS, json={"name": name, **fields})
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


async def test_a_repeated_read_is_a_hit_in_the_header_and_the_access_log(
    client: httpx.AsyncClient,
) -> None:
    item = await _create(client, "Cached")

    with capture_logs(processors=[merge_contextvars]) as logs:
        first = await client.get(f"{ITEMS}/{item['id']}")
        second = await client.get(f"{ITEMS}/{item['id']}")

    assert first.headers["x-cache"] == "miss"
    assert second.headers["x-cache"] == "hit"
    assert second.json() == item
    access = [line["cache"] for line in logs if line["event"] == "request"]
    assert access == ["miss", "hit"]


async def test_a_read_after_an_update_is_never_stale(client: httpx.AsyncClient) -> None:
    item = await _create(client, "Before")
    await client.get(f"{ITEMS}/{item['id']}")
    await client.get(ITEMS)

    await client.patch(f"{ITEMS}/{item['id']}", json={"name": "After", "tags": ["new"]})

    assert (await client.get(f"{ITEMS}/{item['id']}")).json()["name"] == "After"
    listed = (await client.get(ITEMS)).json()["items"]
    assert [(entry["name"], entry["tags"]) for entry in listed] == [("After", ["new"])]


async def test_a_created_item_appears_in_a_cached_list_at_once(client: httpx.AsyncClient) -> None:
    await _create(client, "One")
    assert (await client.get(ITEMS)).json()["total"] == 1

    await _create(client, "Two")

    assert (await client.get(ITEMS)).json()["total"] == 2


async def test_a_deleted_item_is_gone_from_cached_reads(client: httpx.AsyncClient) -> None:
    item = await _create(client, "Doomed")
    await client.get(f"{ITEMS}/{item['id']}")

    await client.delete(f"{ITEMS}/{item['id']}")

    assert (await client.get(f"{ITEMS}/{item['id']}")).status_code == 404


async def test_different_queries_are_cached_apart(client: httpx.AsyncClient) -> None:
    await _create(client, "Red", tags=["red"])
    await _create(client, "Blue", tags=["blue"])

    red = (await client.get(ITEMS, params={"tag": "red"})).json()
    blue = (await client.get(ITEMS, params={"tag": "blue"})).json()

    assert [item["name"] for item in red["items"]] == ["Red"]
    assert [item["name"] for item in blue["items"]] == ["Blue"]


async def test_the_same_query_in_another_order_is_the_same_entry(
    client: httpx.AsyncClient,
) -> None:
    await _create(client, "Red", tags=["red"])
    first = await client.get(f"{ITEMS}?tag=red&limit=5")

    reordered = await client.get(f"{ITEMS}?limit=5&tag=red")

    assert first.headers["x-cache"] == "miss"
    assert reordered.headers["x-cache"] == "hit"
    assert reordered.json() == first.json()


async def test_a_missing_item_is_not_cached(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{ITEMS}/1")).status_code == 404

    item = await _create(client, "Late")

    assert (await client.get(f"{ITEMS}/{item['id']}")).status_code == 200


async def test_an_unchanged_item_revalidates_with_304(client: httpx.AsyncClient) -> None:
    item = await _create(client, "Tagged")
    first = await client.get(f"{ITEMS}/{item['id']}")
    etag = first.headers["etag"]

    again = await client.get(f"{ITEMS}/{item['id']}", headers={"If-None-Match": etag})
    await client.patch(f"{ITEMS}/{item['id']}", json={"description": "changed"})
    changed = await client.get(f"{ITEMS}/{item['id']}", headers={"If-None-Match": etag})

    assert first.headers["cache-control"] == "no-cache"
    assert again.status_code == 304
    assert again.content == b""
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
