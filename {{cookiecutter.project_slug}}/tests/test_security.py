"""Security defaults: response headers, CORS from an allow-list, trusted hosts in production."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings

from .production import TEST_HOST, production_settings
from .serving import serving

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
ORIGIN = "https://app.example.com"


@pytest.fixture
async def production(settings_overrides: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    settings = production_settings(settings_overrides, allowed_hosts=[TEST_HOST])
    async with serving(create_app(settings)) as (client, _):
        yield client


@pytest.fixture
async def with_cors(settings_overrides: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        _env_file=None, environment="test", cors_origins=[ORIGIN], **settings_overrides
    )
    async with serving(create_app(settings)) as (client, _):
        yield client


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/health/live", 200), ("GET", "/nope", 404), ("POST", "/api/v1/digests", 422)],
)
async def test_every_response_carries_the_security_headers(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path, json={})

    assert response.status_code == status
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-security-policy"] == API_POLICY


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_pages_get_their_own_policy_and_only_that_one(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)

    policies = response.headers.get_list("content-security-policy")
    assert len(policies) == 1
    assert "script-src https://cdn.jsdelivr.net" in policies[0]
    assert "frame-ancestors 'none'" in policies[0]


async def test_swagger_ui_inline_script_is_allowed_by_its_hash_alone(
    client: httpx.AsyncClient,
) -> None:
    policy = (await client.get("/docs")).headers["content-security-policy"]

    assert "'sha256-" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]


async def test_hsts_is_sent_in_production_only(
    client: httpx.AsyncClient, production: httpx.AsyncClient
) -> None:
    assert "strict-transport-security" not in (await client.get("/health/live")).headers
    hsts = (await production.get("/health/live")).headers["strict-transport-security"]
    assert hsts.startswith("max-age=")


async def test_production_refuses_a_host_it_does_not_serve(production: httpx.AsyncClient) -> None:
    refused = await production.get("/health/live", headers={"Host": "evil.example.net"})
    served = await production.get("/health/live")

    assert refused.status_code == 400
    assert served.status_code == 200


async def test_production_answers_a_probe_on_the_loopback_whatever_hosts_it_serves(
    production: httpx.AsyncClient,
) -> None:
    # The image's HEALTHCHECK asks 127.0.0.1 inside the container.
    response = await production.get("/health/live", headers={"Host": "127.0.0.1:8000"})

    assert response.status_code == 200


async def test_no_cross_origin_access_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"Origin": ORIGIN})

    assert "access-control-allow-origin" not in response.headers


async def test_a_listed_origin_may_call_the_api(with_cors: httpx.AsyncClient) -> None:
    preflight = await with_cors.options(
        "/api/v1/digests",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    response = await with_cors.get("/health/live", headers={"Origin": ORIGIN})

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()


async def test_an_unlisted_origin_gets_no_cross_origin_access(
    with_cors: httpx.AsyncClient,
) -> None:
    preflight = await with_cors.options(
        "/api/v1/digests",
        headers={"Origin": "https://evil.example.net", "Access-Control-Request-Method": "POST"},
    )
    response = await with_cors.get("/health/live", headers={"Origin": "https://evil.example.net"})

    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in response.headers
