"""Item inputs are bounded to what PostgreSQL stores, and the schema says so exactly."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

ITEMS = "/api/v1/items"


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "nul\x00inside"},
        {"name": " leading space"},
        {"name": "trailing tab\t"},
        {"name": "ok", "description": "nul\x00inside"},
        {"name": "ok", "tags": [" padded "]},
    ],
)
async def test_text_postgresql_cannot_hold_or_that_would_be_trimmed_is_a_422(
    client: httpx.AsyncClient, payload: dict[str, Any]
) -> None:
    response = await client.post(ITEMS, json=payload)

    assert response.status_code == 422


@pytest.mark.parametrize(
    "params", [{"q": "nul\x00inside"}, {"offset": str(2**63)}, {"limit": "0"}, {"limit": "101"}]
)
async def test_list_filters_out_of_the_database_range_are_a_422(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get(ITEMS, params=params)

    assert response.status_code == 422


async def test_an_id_beyond_bigint_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{ITEMS}/{2**63}")

    assert response.status_code == 422


async def test_the_largest_offset_postgresql_takes_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get(ITEMS, params={"offset": str(2**63 - 1)})

    assert response.status_code == 200
    assert response.json()["items"] == []


async def test_the_update_schema_offers_no_null_it_would_refuse(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    update = document["components"]["schemas"]["ItemUpdate"]["properties"]

    for field in ("name", "description", "tags"):
        assert "anyOf" not in update[field], field
        assert update[field].get("type") != "null", field
