"""The HTTP surface: health probes at the root, the versioned API under `/api/v1`."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import APIRouter, FastAPI

from ..errors import problem_responses
from ..mounting import mount
from .digests.router import router as digests_router
from .health.router import router as health_router
{%- if cookiecutter.database == "postgres" %}
from .items.router import router as items_router
{%- endif %}
{%- if cookiecutter.worker == "arq" %}
from .orders.router import router as orders_router
{%- endif %}
{%- if cookiecutter.use_http_client %}
from .stock.router import router as stock_router
{%- endif %}

API_V1 = "/api/v1"

# A list, not a tuple: its trailing comma keeps one router per line, however few.
VERSION_1: list[APIRouter] = [
    digests_router,
{%- if cookiecutter.database == "postgres" %}
    items_router,
{%- endif %}
{%- if cookiecutter.worker == "arq" %}
    orders_router,
{%- endif %}
{%- if cookiecutter.use_http_client %}
    stock_router,
{%- endif %}
]


def include_routers(app: FastAPI) -> None:
    """Add the probes at the root and each domain's operations under `/api/v1`.

    Flat (`mount`), not `app.include_router`: FastAPI resolves every included router
    again on each request, about 30 µs per request and level.
    """
    # Any operation can fail unexpectedly; say so, and in which shape.
    unexpected = problem_responses(HTTPStatus.INTERNAL_SERVER_ERROR)
    mount(app, health_router, responses=unexpected)
    for router in VERSION_1:
        mount(app, router, prefix=API_V1, responses=unexpected)
