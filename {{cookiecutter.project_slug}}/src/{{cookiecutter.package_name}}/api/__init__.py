"""The HTTP surface: health probes at the root, each domain's operations under `/api/v1`.

Each router declares its whole path prefix, API version included, so a matched route's
`path` is the full template (`/api/v1/items/{item_id}`): what the access log and the
metrics label a request with, read from the route the app matched.
"""

from __future__ import annotations

from http import HTTPStatus

from fastapi import APIRouter, FastAPI

from ..errors import problem_responses
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

# A list, not a tuple: its trailing comma keeps one router per line, however few.
ROUTERS: list[APIRouter] = [
    health_router,
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
    """Add every domain's operations to the app."""
    # Any operation can fail unexpectedly; say so, and in which shape.
    unexpected = problem_responses(HTTPStatus.INTERNAL_SERVER_ERROR)
    for router in ROUTERS:
        app.include_router(router, responses=unexpected)
