"""The connection budget: replicas x workers x pool size against what PostgreSQL allows."""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from {{ cookiecutter.package_name }}.db import open_database
from {{ cookiecutter.package_name }}.db_budget import budget
from {{ cookiecutter.package_name }}.settings import Settings


def _settings(overrides: dict[str, Any] | None = None, **values: Any) -> Settings:
    return Settings(_env_file=None, environment="test", **{**(overrides or {}), **values})


@pytest.mark.parametrize(
    ("replicas", "workers", "pool", "role_limit", "allowed", "fits"),
    [
        (3, 2, 10, -1, 92, True),  # 60 of 100 - 3 - 5
        (10, 2, 10, -1, 92, False),  # 200: thirty pods' worth of the story, in small
        (2, 2, 10, 30, 30, False),  # the role's own limit is the tighter one
    ],
)
def test_the_budget_is_max_connections_less_reserves_or_the_roles_limit(
    replicas: int, workers: int, pool: int, role_limit: int, allowed: int, fits: bool
) -> None:
    settings = _settings(replicas=replicas, workers=workers, db_pool_max_size=pool)

    found = budget(settings, max_connections=100, superuser_reserved=3, role_limit=role_limit)

    assert found.wanted == replicas * workers * pool
    assert found.allowed == allowed
    assert found.fits is fits


async def test_startup_warns_with_the_numbers_when_the_pools_would_overflow(
    settings_overrides: dict[str, Any],
) -> None:
    settings = _settings(settings_overrides, replicas=30, workers=4, db_pool_max_size=10)

    with capture_logs() as logs:
        async with open_database(settings):
            pass

    (warning,) = [line for line in logs if line["event"] == "database_connection_budget_exceeded"]
    assert warning["wanted"] == 1200
    assert warning["allowed"] < 1200
    assert warning["log_level"] == "warning"


async def test_startup_within_the_budget_does_not_warn(settings_overrides: dict[str, Any]) -> None:
    with capture_logs() as logs:
        async with open_database(_settings(settings_overrides)):
            pass

    assert not [line for line in logs if line["event"] == "database_connection_budget_exceeded"]
