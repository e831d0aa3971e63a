"""The HTTP surface: health probes at the root, the versioned API under `/api/v1`."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import APIRouter, FastAPI

from ..errors import problem_responses
from .digests.router import router as digests_router
from .health.router import router as health_router
{%- if cookiecutter.database == "postgres" %}
from .items.router import router as items_router
{%- endif %}
{%- if cookiecutter.use_http_client %}
from .stock.router import router as stock_router
{%- endif %}

# A list, not a tuple: its trailing comma keeps one router per line, however few.
VERSION_1: list[APIRouter] = [
    digests_router,
{%- if cookiecutter.database == "postgres" %}
    items_router,
{%- endif %}
{%- if cookiecutter.use_http_client %}
    stock_router,
{%- endif %}
]


def include_routers(app: FastAPI) -> None:
    """Add the probes to the app itself and include each domain under `/api/v1`.

    Flat on purpose: FastAPI resolves every level of `include_router` again on each
    request. The probes, the most frequent and cheapest requests, skip even the one
    level (about a third of their cost), so their router declares its own settings.
    """
    app.router.routes.extend(health_router.routes)
    # Any operation can fail unexpectedly; say so, and in which shape.
    unexpected = problem_responses(HTTPStatus.INTERNAL_SERVER_ERROR)
    for router in VERSION_1:
        app.include_router(router, prefix="/api/v1", responses=unexpected)
