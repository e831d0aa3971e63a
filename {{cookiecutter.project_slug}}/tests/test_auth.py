"""Writes on items need an API key, compared in constant time; reads stay open."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings

from .api_key import TEST_API_KEY
from .serving import serving

ITEMS = "/api/v1/items"
ITEM = "/api/v1/items/{item_id}"


@pytest.fixture
def anonymous(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The test client without its API key."""
    del client.headers["Authorization"]
    return client


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", ITEMS, {"name": "Widget"}),
        ("PATCH", f"{ITEMS}/1", {"name": "W"}),
        ("DELETE", f"{ITEMS}/1", None),
    ],
)
async def test_a_write_without_a_key_is_a_401_problem_and_changes_nothing(
    anonymous: httpx.AsyncClient,
    db: asyncpg.Connection,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    response = await anonymous.request(method, path, json=body)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert await db.fetchval("SELECT count(*) FROM items") == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer not-the-key"},
        {"Authorization": f"Basic {TEST_API_KEY}"},
        {"X-API-Key": TEST_API_KEY[:-1]},
        {"X-API-Key": TEST_API_KEY + "x"},
    ],
)
async def test_a_wrong_key_is_refused(
    anonymous: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await anonymous.post(ITEMS, json={"name": "Widget"}, headers=headers)

    assert response.status_code == 401


@pytest.mark.parametrize(
    "headers", [{"Authorization": f"Bearer {TEST_API_KEY}"}, {"X-API-Key": TEST_API_KEY}]
)
async def test_a_known_key_may_write_as_bearer_token_or_api_key_header(
    anonymous: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await anonymous.post(ITEMS, json={"name": "Widget"}, headers=headers)

    assert response.status_code == 201


async def test_reads_need_no_key(anonymous: httpx.AsyncClient) -> None:
    assert (await anonymous.get(ITEMS)).status_code == 200
    assert (await anonymous.get(f"{ITEMS}/1")).status_code == 404


async def test_with_no_key_configured_every_write_is_refused(
    settings_overrides: dict[str, Any],
) -> None:
    settings = Settings(
        _env_file=None, environment="test", **{**settings_overrides, "api_keys": []}
    )
    async with serving(create_app(settings)) as (client, _):
        response = await client.post(
            ITEMS, json={"name": "Widget"}, headers={"Authorization": "Bearer "}
        )

    assert response.status_code == 401


def test_production_refuses_to_start_without_an_api_key() -> None:
    with pytest.raises(ValidationError, match="APP_API_KEYS"):
        Settings(_env_file=None, environment="production", allowed_hosts=["*"])


def test_api_keys_never_show_in_the_settings_repr() -> None:
    settings = Settings(_env_file=None, api_keys=[TEST_API_KEY])

    assert TEST_API_KEY not in repr(settings)


async def test_the_document_asks_for_a_key_on_writes_only(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    assert paths[ITEMS]["post"]["security"]
    assert paths[ITEM]["patch"]["security"]
    assert paths[ITEM]["delete"]["security"]
    assert "security" not in paths[ITEMS]["get"]
    assert "401" in paths[ITEMS]["post"]["responses"]
