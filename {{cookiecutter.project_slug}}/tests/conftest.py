{%- set rate_limited = cookiecutter.rate_limit == "on" or (cookiecutter.rate_limit == "auto" and cookiecutter.cache == "redis") -%}
"""Fixtures shared by every test: settings, the app through its lifespan, a client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings

{% if cookiecutter.database == "postgres" -%}
from .api_key import KEY_SETTINGS, WRITER_HEADERS
{% endif -%}
from .blocking import detect_blocking
from .serving import serving

# Each plugin runs a real server and provides a fixture of the settings that reach it.
SERVER_PLUGINS: dict[str, str] = {}
# Settings every test app gets, and headers the `client` fixture sends with every request.
COMMON_SETTINGS: dict[str, Any] = {}
CLIENT_HEADERS: dict[str, str] = {}
{%- if cookiecutter.database == "postgres" %}
SERVER_PLUGINS["tests.fixtures_postgres"] = "postgres_settings"
COMMON_SETTINGS.update(KEY_SETTINGS)
CLIENT_HEADERS.update(WRITER_HEADERS)
{%- endif %}
{%- if cookiecutter.cache == "redis" or cookiecutter.worker == "arq" %}
SERVER_PLUGINS["tests.fixtures_redis"] = "redis_settings"
{%- endif %}
{%- if rate_limited %}
# Tests write far faster than any client may; tests/test_rate_limit.py sets its own limits.
COMMON_SETTINGS["rate_limit_writes"] = "100000/minute"
{%- endif %}
pytest_plugins = list(SERVER_PLUGINS)


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Setting values for this test: those of every real server the project uses."""
    overrides: dict[str, Any] = dict(COMMON_SETTINGS)
    for fixture_name in SERVER_PLUGINS.values():
        overrides.update(request.getfixturevalue(fixture_name))
    return overrides


@pytest.fixture
def settings(settings_overrides: dict[str, Any]) -> Settings:
    """Test settings, independent of the developer's environment and `.env` file."""
    return Settings(_env_file=None, environment="test", **settings_overrides)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client driving the app through its lifespan; fails a test that blocks the loop."""
    async with serving(app) as (client, _), detect_blocking() as slow_steps:
        client.headers.update(CLIENT_HEADERS)
        yield client
    assert not slow_steps, f"the event loop was blocked: {slow_steps}"
