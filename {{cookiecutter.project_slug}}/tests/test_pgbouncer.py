"""Behind PgBouncer in transaction pooling mode, with the statement cache off, all works."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings

from .api_key import WRITER_HEADERS
from .serving import serving
from pgbouncer_server import PgBouncerServer

ITEMS = "/api/v1/items"


@pytest.fixture
def pgbouncer(database_url: str) -> Iterator[PgBouncerServer]:
    with PgBouncerServer(database_url) as server:
        yield server


async def test_the_items_api_works_through_pgbouncer_in_transaction_mode(
    pgbouncer: PgBouncerServer, settings_overrides: dict[str, Any]
) -> None:
    settings = Settings(
        _env_file=None,
        environment="test",
        **{**settings_overrides, "database_url": pgbouncer.url, "db_statement_cache_size": 0},
    )
    async with serving(create_app(settings)) as (client, _):
        client.headers.update(WRITER_HEADERS)
        # More transactions at once than PgBouncer has server connections: they share them.
        created = await asyncio.gather(
            *(client.post(ITEMS, json={"name": f"item {n}", "tags": [f"t{n}"]}) for n in range(12))
        )
        item_id = created[0].json()["id"]
        updated = await client.patch(f"{ITEMS}/{item_id}", json={"name": "renamed"})
        listed = await client.get(ITEMS, params={"limit": 50})
        ready = await client.get("/health/ready")

    assert [response.status_code for response in created] == [201] * 12
    assert updated.json()["name"] == "renamed"
    assert listed.json()["total"] == 12
    assert all(len(item["tags"]) == 1 for item in listed.json()["items"])
    assert ready.status_code == 200
