"""Migrations upgrade an empty database to head and downgrade it back to empty."""

from __future__ import annotations

import asyncio

import asyncpg

from .fixtures_postgres import migrate

APP_TABLES = {"items", "tags", "item_tags"}


async def _tables(url: str) -> set[str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
    finally:
        await conn.close()
    return {row["table_name"] for row in rows}


async def test_upgrade_from_empty_creates_the_schema(empty_database_url: str) -> None:
    await asyncio.to_thread(migrate, empty_database_url)

    assert await _tables(empty_database_url) >= APP_TABLES


async def test_downgrade_to_base_removes_it_and_upgrade_works_again(
    empty_database_url: str,
) -> None:
    await asyncio.to_thread(migrate, empty_database_url)
    await asyncio.to_thread(migrate, empty_database_url, "base", down=True)

    assert await _tables(empty_database_url) == {"alembic_version"}

    await asyncio.to_thread(migrate, empty_database_url)
    assert await _tables(empty_database_url) >= APP_TABLES
