"""`/api/v1/items`: thin handlers; validation in dependencies, work in the service."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import APIRouter, Request, Response

from ...auth import WriteAccess
{% if cookiecutter.cache != "none" -%}
from ...cache.routes import cached_route
{% endif -%}
from ...deps import Db
from ...errors import problem_responses
from . import service
from .dependencies import ItemFilters, ItemId
from .exceptions import ItemNotFoundError
from .schemas import Item, ItemCreate, ItemPage, ItemUpdate

router = APIRouter(
    prefix="/api/v1/items",
    tags=["items"],
    responses=problem_responses(HTTPStatus.UNPROCESSABLE_ENTITY, HTTPStatus.SERVICE_UNAVAILABLE),
{%- if cookiecutter.cache != "none" %}
    route_class=cached_route("items"),
{%- endif %}
)


# Writes need an API key (auth.py); reads stay open.
_UNAUTHORIZED = HTTPStatus.UNAUTHORIZED


@router.post(
    "",
    status_code=HTTPStatus.CREATED,
    responses=problem_responses(_UNAUTHORIZED, HTTPStatus.CONFLICT),
    dependencies=[WriteAccess],
)
async def create_item(body: ItemCreate, db: Db, request: Request, response: Response) -> Item:
    """Create an item; 409 if the name is taken."""
    item = await service.create(db=db, data=body)
    response.headers["Location"] = request.app.url_path_for("get_item", item_id=str(item.id))
    return item


@router.get("")
async def list_items(query: ItemFilters, db: Db) -> ItemPage:
    """A page of items, filtered by name and tag, each with its tags."""
    return await service.list_page(db=db, query=query)


@router.get("/{item_id}", responses=problem_responses(HTTPStatus.NOT_FOUND))
async def get_item(item_id: ItemId, db: Db) -> Item:
    """One item."""
    item = await service.get(db=db, item_id=item_id)
    if item is None:
        raise ItemNotFoundError(item_id)
    return item


@router.patch(
    "/{item_id}",
    responses=problem_responses(_UNAUTHORIZED, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT),
    dependencies=[WriteAccess],
)
async def update_item(item_id: ItemId, body: ItemUpdate, db: Db) -> Item:
    """Change some fields of an item; tags, when sent, replace the old ones."""
    item = await service.update(db=db, item_id=item_id, data=body)
    if item is None:
        raise ItemNotFoundError(item_id)
    return item


@router.delete(
    "/{item_id}",
    status_code=HTTPStatus.NO_CONTENT,
    responses=problem_responses(_UNAUTHORIZED, HTTPStatus.NOT_FOUND),
    dependencies=[WriteAccess],
)
async def delete_item(item_id: ItemId, db: Db) -> None:
    """Delete an item."""
    if not await service.delete(db=db, item_id=item_id):
        raise ItemNotFoundError(item_id)
