"""The HTTP surface: health probes at the root, the versioned API under `/api/v1`."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import APIRouter

from ..errors import problem_responses
from .digests.router import router as digests_router
from .health.router import router as health_router
{%- if cookiecutter.database == "postgres" %}
from .items.router import router as items_router
{%- endif %}
{%- if cookiecutter.use_http_client %}
from .stock.router import router as stock_router
{%- endif %}


def build_router() -> APIRouter:
    """Assemble every domain router under its prefix."""
    v1 = APIRouter(prefix="/api/v1")
    v1.include_router(digests_router)
{%- if cookiecutter.database == "postgres" %}
    v1.include_router(items_router)
{%- endif %}
{%- if cookiecutter.use_http_client %}
    v1.include_router(stock_router)
{%- endif %}
    # Any operation can fail unexpectedly; say so, and in which shape.
    root = APIRouter(responses=problem_responses(HTTPStatus.INTERNAL_SERVER_ERROR))
    root.include_router(health_router)
    root.include_router(v1)
    return root
