"""A real PostgreSQL for the tests, and a fresh migrated database for each test.

`TEST_DATABASE_URL` names a server to use (CI service containers, docker compose);
otherwise one throwaway server per test process is started from the machine's
PostgreSQL binaries. The schema is migrated once into a template database; each test
gets its own clone of it, so tests are isolated and can run in parallel.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic import command
from alembic.config import Config

from postgres_server import PostgresServer

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def with_database(server_url: str, database: str) -> str:
    """The same server URL, pointing at another database."""
    base, _, _ = server_url.rpartition("/")
    return f"{base}/{database}"


def migrate(database_url: str, revision: str = "head", *, down: bool = False) -> None:
    """Run the project's Alembic migrations against `database_url`."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.cmd_opts = _XArguments([f"url={database_url}"])
    if down:
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)


class _XArguments:
    """What Alembic reads from `-x key=value` on its command line."""

    def __init__(self, x: list[str]) -> None:
        self.x = x


async def _admin(server_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A superuser URL of a real server."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield url
        return
    with PostgresServer() as server:
        yield server.url


@pytest.fixture(scope="session")
def template_database(postgres_server_url: str) -> Iterator[str]:
    """A database migrated to head, cloned by every test; its name is returned."""
    name = f"template_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(postgres_server_url, f'CREATE DATABASE "{name}"'))
    migrate(with_database(postgres_server_url, name))
    yield name
    asyncio.run(_admin(postgres_server_url, f'DROP DATABASE "{name}" WITH (FORCE)'))


@pytest.fixture
async def empty_database_url(postgres_server_url: str) -> AsyncIterator[str]:
    """A new, empty database of this test's own."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    await _admin(postgres_server_url, f'CREATE DATABASE "{name}"')
    yield with_database(postgres_server_url, name)
    await _admin(postgres_server_url, f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
async def database_url(postgres_server_url: str, template_database: str) -> AsyncIterator[str]:
    """A migrated database of this test's own, cloned from the template."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    await _admin(postgres_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    yield with_database(postgres_server_url, name)
    await _admin(postgres_server_url, f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_settings(database_url: str) -> dict[str, Any]:
    # No random wait before the first connection: one app starting alone has nobody to spread from.
    return {"database_url": database_url, "db_connect_jitter_seconds": 0}


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A direct connection to the test's database, for arranging and inspecting rows."""
    conn = await asyncpg.connect(database_url)
    yield conn
    await conn.close()
