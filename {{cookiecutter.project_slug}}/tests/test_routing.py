"""Operations are added to the app flat, and lose nothing `include_router` would give them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from http import HTTPStatus
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.routing import Route

from {{ cookiecutter.package_name }}.api import API_V1, VERSION_1
from {{ cookiecutter.package_name }}.api.health.router import router as health_router
from {{ cookiecutter.package_name }}.deps import AppSettings
from {{ cookiecutter.package_name }}.errors import problem_responses
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.mounting import mount
from {{ cookiecutter.package_name }}.openapi import operation_id
from {{ cookiecutter.package_name }}.settings import Settings

from .serving import serving


def _paths(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(title=app.title, version=app.version, routes=app.routes)
    paths: dict[str, Any] = document["paths"]
    return paths


def test_the_app_resolves_no_nested_router_per_request(settings: Settings) -> None:
    app = create_app(settings)

    assert all(isinstance(route, Route) for route in app.router.routes)


def test_mounted_operations_document_what_include_router_would(settings: Settings) -> None:
    nested = FastAPI(generate_unique_id_function=operation_id)
    unexpected = problem_responses(HTTPStatus.INTERNAL_SERVER_ERROR)
    nested.include_router(health_router, responses=unexpected)
    for router in VERSION_1:
        nested.include_router(router, prefix=API_V1, responses=unexpected)

    assert _paths(create_app(settings)) == _paths(nested)


def _request_scope(method: str, path: str, root_path: str = "") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": root_path + path, "root_path": root_path}


def test_mounted_routes_match_what_fastapi_would_match(settings: Settings) -> None:
    app = create_app(settings)
    routes = [route for route in app.router.routes if isinstance(route, APIRoute)]
    paths = [route.path.replace("{item_id}", "7").replace("{sku}", "A-1") for route in routes]
    paths += ["/nowhere", "/api/v1/items/seven", "/health/live/"]
    scopes = [
        _request_scope(method, path, root_path)
        for method in ("GET", "POST", "DELETE")
        for path in paths
        for root_path in ("", "/svc")
    ]

    for route in routes:
        for scope in scopes:
            expected = APIRoute.matches(route, dict(scope))[0]
            assert route.matches(dict(scope))[0] is expected, (route.path, scope)


async def test_mounted_routes_answer_under_a_root_path(settings: Settings) -> None:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, root_path="/svc")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/svc/health/live")

    assert response.status_code == 200


async def _real_name() -> str:
    return "real"


async def _test_name() -> str:
    return "overridden"


_names = APIRouter(prefix="/names")


@_names.get("")
async def _read_name(name: Annotated[str, Depends(_real_name)]) -> str:
    return name


async def test_mounted_operations_follow_the_apps_dependency_overrides() -> None:
    app = FastAPI()
    mount(app, _names, prefix="/v1")
    app.dependency_overrides[_real_name] = _test_name
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/v1/names")

    assert response.json() == "overridden"


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
