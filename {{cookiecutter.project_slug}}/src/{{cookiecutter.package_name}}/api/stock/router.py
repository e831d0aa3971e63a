"""`GET /api/v1/stock/{sku}`."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Path

{% if cookiecutter.cache != "none" -%}
from ...cache.routes import cached_route
{% endif -%}
from ...errors import problem_responses
from . import service
from .dependencies import Inventory
from .schemas import Sku, Stock

router = APIRouter(
    prefix="/api/v1/stock",
    tags=["stock"],
{%- if cookiecutter.cache != "none" %}
    # The upstream's answers are cached too: it is spared, and stays answerable when slow.
    route_class=cached_route("stock"),
{%- endif %}
)


@router.get(
    "/{sku}",
    responses=problem_responses(
        HTTPStatus.NOT_FOUND,
        HTTPStatus.UNPROCESSABLE_ENTITY,
        HTTPStatus.BAD_GATEWAY,
        HTTPStatus.SERVICE_UNAVAILABLE,
    ),
)
async def get_stock(sku: Annotated[Sku, Path()], inventory: Inventory) -> Stock:
    """The sellable stock of one SKU, from the inventory service."""
    return await service.get(inventory=inventory, sku=sku)
