"""Expired idempotency keys leave PostgreSQL on the worker's schedule; live ones stay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from {{ cookiecutter.package_name }}.db import open_database
from {{ cookiecutter.package_name }}.idempotency.postgres import PostgresKeys
from {{ cookiecutter.package_name }}.jobs.housekeeping import (
    PURGE_IDEMPOTENCY_KEYS,
    purge_idempotency_keys,
)
from {{ cookiecutter.package_name }}.jobs.worker import worker_settings
from {{ cookiecutter.package_name }}.settings import Settings

_ADD_KEY = """
INSERT INTO idempotency_keys (key, fingerprint, expires_at)
VALUES ($1, 'fingerprint', now() + make_interval(secs => $2))
"""


@pytest.fixture
async def keys(settings: Settings) -> AsyncIterator[PostgresKeys]:
    async with open_database(settings) as database:
        yield PostgresKeys(database, ttl=settings.idempotency_key_ttl_seconds)


async def _add_keys(db: asyncpg.Connection, prefix: str, count: int, seconds_left: float) -> None:
    for index in range(count):
        await db.execute(_ADD_KEY, f"{prefix}-{index}", seconds_left)


async def _remaining(db: asyncpg.Connection) -> list[str]:
    rows = await db.fetch("SELECT key FROM idempotency_keys ORDER BY key")
    return [row["key"] for row in rows]


async def test_the_purge_deletes_expired_keys_and_keeps_live_ones(
    keys: PostgresKeys, db: asyncpg.Connection
) -> None:
    await _add_keys(db, "expired", 3, seconds_left=-1)
    await _add_keys(db, "live", 2, seconds_left=3600)

    purged = await purge_idempotency_keys({"idempotency_keys": keys})

    assert purged == 3
    assert await _remaining(db) == ["live-0", "live-1"]


async def test_the_purge_works_through_every_batch(
    keys: PostgresKeys, db: asyncpg.Connection
) -> None:
    await _add_keys(db, "expired", 7, seconds_left=-1)

    purged = await keys.purge_expired(batch=2)

    assert purged == 7
    assert await _remaining(db) == []


def test_the_worker_runs_the_purge_on_a_schedule(settings_overrides: dict[str, Any]) -> None:
    options = worker_settings(Settings(_env_file=None, environment="test", **settings_overrides))

    (job,) = options["cron_jobs"]
    assert job.name == PURGE_IDEMPOTENCY_KEYS
    assert job.unique  # one run per time however many workers there are
