"""Docs are open in development; in production only behind HTTP Basic credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from {{ cookiecutter.package_name }}.main import create_app

from .production import production_settings
from .serving import serving

DOCS_PATHS = ("/docs", "/redoc", "/openapi.json")
STRONG_PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
async def production(settings_overrides: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    settings = production_settings(settings_overrides)
    async with serving(create_app(settings)) as (client, _):
        yield client


@pytest.fixture
async def protected(settings_overrides: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    settings = production_settings(
        settings_overrides, docs_username="docs", docs_password=STRONG_PASSWORD
    )
    async with serving(create_app(settings)) as (client, _):
        yield client


@pytest.mark.parametrize("path", DOCS_PATHS)
async def test_docs_are_open_outside_production(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 200


@pytest.mark.parametrize("path", DOCS_PATHS)
async def test_docs_are_absent_in_production_without_credentials(
    production: httpx.AsyncClient, path: str
) -> None:
    assert (await production.get(path)).status_code == 404


@pytest.mark.parametrize("path", DOCS_PATHS)
async def test_protected_docs_ask_for_credentials(protected: httpx.AsyncClient, path: str) -> None:
    response = await protected.get(path)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Basic"
    assert response.headers["content-type"] == "application/problem+json"


async def test_protected_docs_refuse_a_wrong_password(protected: httpx.AsyncClient) -> None:
    response = await protected.get("/docs", auth=("docs", "wrong-password-entirely"))

    assert response.status_code == 401


@pytest.mark.parametrize("path", DOCS_PATHS)
async def test_protected_docs_open_with_the_right_credentials(
    protected: httpx.AsyncClient, path: str
) -> None:
    response = await protected.get(path, auth=("docs", STRONG_PASSWORD))

    assert response.status_code == 200
