"""Startup waits, with backoff and within a bound, for a PostgreSQL that is not up yet."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from structlog.testing import capture_logs

from {{ cookiecutter.package_name }}.db import DatabaseUnavailableError, open_database
from {{ cookiecutter.package_name }}.settings import Settings

from throwaway import free_port


def _settings(overrides: dict[str, Any], **values: Any) -> Settings:
    return Settings(_env_file=None, environment="test", **{**overrides, **values})


def _on_port(url: str, port: int) -> str:
    """The same database URL, on another port of the same host."""
    parts = urlsplit(url)
    return parts._replace(netloc=f"{parts.username}@{parts.hostname}:{port}").geturl()


class LateServer:
    """A port that refuses connections until `open()`, then forwards them to PostgreSQL."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.target_port = target_port
        self._server: asyncio.Server | None = None

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(
            "127.0.0.1", self.target_port
        )
        await asyncio.gather(
            _pipe(reader, upstream_writer), _pipe(upstream_reader, writer), return_exceptions=True
        )


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        with contextlib.suppress(ConnectionError):
            writer.close()


@pytest.fixture
async def late_server(database_url: str) -> AsyncIterator[LateServer]:
    port = urlsplit(database_url).port
    assert port is not None
    server = LateServer(port)
    yield server
    await server.close()


async def test_startup_waits_for_a_server_that_comes_up_later_then_serves(
    late_server: LateServer, settings_overrides: dict[str, Any], database_url: str
) -> None:
    settings = _settings(settings_overrides, database_url=_on_port(database_url, late_server.port))

    async def open_late() -> None:
        await asyncio.sleep(0.5)
        await late_server.open()

    opener = asyncio.create_task(open_late())
    with capture_logs() as logs:
        async with open_database(settings) as database:
            row = await database.fetchrow("SELECT 1 AS one")
    await opener

    assert row is not None
    assert row["one"] == 1
    assert any(line["event"] == "stamina.retry_scheduled" for line in logs)


async def test_a_server_that_never_comes_fails_startup_after_the_bound_with_a_clear_error(
    late_server: LateServer, settings_overrides: dict[str, Any], database_url: str
) -> None:
    settings = _settings(
        settings_overrides,
        database_url=_on_port(database_url, late_server.port),
        db_startup_timeout_seconds=0.5,
    )
    started = time.monotonic()

    with pytest.raises(DatabaseUnavailableError, match=r"did not accept connections within 0\.5 s"):
        async with open_database(settings):
            pass

    assert time.monotonic() - started < 5


async def test_refused_credentials_fail_startup_at_once(
    settings_overrides: dict[str, Any], database_url: str
) -> None:
    unknown_role = database_url.replace("postgres@", "nobody@", 1)
    settings = _settings(settings_overrides, database_url=unknown_role)
    started = time.monotonic()

    with pytest.raises(DatabaseUnavailableError, match="refused the connection"):
        async with open_database(settings):
            pass

    assert time.monotonic() - started < settings.db_startup_timeout_seconds / 10
