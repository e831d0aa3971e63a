"""The operations are included with `include_router`, and every request is labelled by route."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from {{ cookiecutter.package_name }}.api import ROUTERS
from {{ cookiecutter.package_name }}.deps import AppSettings
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings

from .serving import serving


def _operation_paths(app: FastAPI) -> set[str]:
    paths: dict[str, Any] = app.openapi()["paths"]
    return set(paths)


def test_every_domain_operation_is_under_api_v1_and_the_probes_under_health(
    settings: Settings,
) -> None:
    paths = _operation_paths(create_app(settings))

    assert {"/health/live", "/health/ready"} <= paths
    assert all(path.startswith(("/api/v1/", "/health/")) for path in paths), paths


def test_each_router_declares_its_full_path_so_matched_routes_carry_the_template() -> None:
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            assert route.path.startswith(("/api/v1/", "/health/")), route.path


async def test_a_parameterised_route_is_logged_by_its_template_not_its_raw_path(
    client: httpx.AsyncClient,
) -> None:
    with capture_logs(processors=[merge_contextvars]) as logs:
        await client.get("/health/live")
        await client.post("/api/v1/digests", json={"content": "x"})

    paths = [line["path"] for line in logs if line["event"] == "request"]
    assert paths == ["/health/live", "/api/v1/digests"]


async def test_routes_answer_under_a_root_path(settings: Settings) -> None:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, root_path="/svc")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/svc/health/live")

    assert response.status_code == 200


async def _service_name(settings: AppSettings) -> AsyncIterator[str]:
    yield settings.service_name  # what follows a yield runs once the response is sent


async def _read_service_name(name: Annotated[str, Depends(_service_name)]) -> str:
    return name


async def test_a_dependency_with_yield_can_build_on_the_resource_aliases(
    settings: Settings,
) -> None:
    app = create_app(settings)
    # FastAPI refuses this route if the aliases are scoped "function": a dependency with
    # yield is scoped "request" and cannot depend on a shorter scope.
    app.get("/service-name")(_read_service_name)
    async with serving(app) as (client, _):
        response = await client.get("/service-name")

    assert response.json() == settings.service_name
