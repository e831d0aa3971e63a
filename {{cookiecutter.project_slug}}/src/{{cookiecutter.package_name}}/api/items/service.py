"""Item storage in plain, parameterised SQL.

Tags are gathered in the database, so reading one item or a page of them costs a fixed
number of queries whatever the page size.
"""

from __future__ import annotations

import asyncpg

from ...db import Connection, Database
from .exceptions import ItemNameTakenError
from .schemas import Item, ItemCreate, ItemPage, ItemQuery, ItemUpdate

_SELECT_ITEMS = """
SELECT i.id, i.name, i.description, i.created_at, i.updated_at,
       COALESCE(t.names, '{}') AS tags
FROM items AS i
LEFT JOIN LATERAL (
    SELECT array_agg(tg.name ORDER BY tg.name) AS names
    FROM item_tags AS it JOIN tags AS tg ON tg.id = it.tag_id
    WHERE it.item_id = i.id
) AS t ON true
"""
_MATCHING = """
WHERE ($1::text IS NULL OR i.name ILIKE '%' || $1 || '%')
  AND ($2::text IS NULL OR EXISTS (
        SELECT 1 FROM item_tags AS it JOIN tags AS tg ON tg.id = it.tag_id
        WHERE it.item_id = i.id AND tg.name = $2))
"""
_GET = _SELECT_ITEMS + "WHERE i.id = $1"
# Built from the constant fragments above only; every value travels as a parameter.
_PAGE = _SELECT_ITEMS + _MATCHING + "ORDER BY i.id LIMIT $3 OFFSET $4"
_COUNT = "SELECT count(*) FROM items AS i" + _MATCHING  # noqa: S608
_INSERT = "INSERT INTO items (name, description) VALUES ($1, $2) RETURNING id"
_UPDATE = """
UPDATE items
SET name = COALESCE($2, name), description = COALESCE($3, description), updated_at = now()
WHERE id = $1
RETURNING id
"""
_DELETE = "DELETE FROM items WHERE id = $1"
_UPSERT_TAGS = "INSERT INTO tags (name) SELECT unnest($1::text[]) ON CONFLICT (name) DO NOTHING"
_LINK_TAGS = "INSERT INTO item_tags (item_id, tag_id) SELECT $1, id FROM tags WHERE name = ANY($2)"
_UNLINK_TAGS = "DELETE FROM item_tags WHERE item_id = $1"


async def create(*, db: Database, data: ItemCreate) -> Item:
    """Store a new item with its tags."""
    async with db.transaction() as conn:
        try:
            item_id: int = await conn.fetchval(_INSERT, data.name, data.description)
        except asyncpg.UniqueViolationError as exc:
            raise ItemNameTakenError(data.name) from exc
        await _link_tags(conn, item_id, data.tags)
        return await _get_existing(conn, item_id)


async def get(*, db: Database | Connection, item_id: int) -> Item | None:
    """One item with its tags, or None."""
    row = await db.fetchrow(_GET, item_id)
    return None if row is None else Item.model_validate(dict(row))


async def list_page(*, db: Database, query: ItemQuery) -> ItemPage:
    """One page of the items matching the filters, each with its tags: two queries."""
    pattern = None if query.q is None else _escape_like(query.q)
    async with db.connection() as conn:
        rows = await conn.fetch(_PAGE, pattern, query.tag, query.limit, query.offset)
        total: int = await conn.fetchval(_COUNT, pattern, query.tag)
    items = [Item.model_validate(dict(row)) for row in rows]
    return ItemPage(items=items, total=total, limit=query.limit, offset=query.offset)


async def update(*, db: Database, item_id: int, data: ItemUpdate) -> Item | None:
    """Change the fields that were sent; replace the tags if they were sent. None if absent."""
    async with db.transaction() as conn:
        try:
            found = await conn.fetchval(_UPDATE, item_id, data.name, data.description)
        except asyncpg.UniqueViolationError as exc:
            raise ItemNameTakenError(data.name or "") from exc
        if found is None:
            return None
        if data.tags is not None:
            await conn.execute(_UNLINK_TAGS, item_id)
            await _link_tags(conn, item_id, data.tags)
        return await _get_existing(conn, item_id)


async def delete(*, db: Database, item_id: int) -> bool:
    """Delete an item (its tag links go with it); False if it did not exist."""
    status = await db.execute(_DELETE, item_id)
    return status == "DELETE 1"


async def _link_tags(conn: Connection, item_id: int, tags: list[str]) -> None:
    if tags:
        await conn.execute(_UPSERT_TAGS, tags)
        await conn.execute(_LINK_TAGS, item_id, tags)


async def _get_existing(conn: Connection, item_id: int) -> Item:
    item = await get(db=conn, item_id=item_id)
    if item is None:
        raise LookupError(f"item {item_id} vanished inside its own transaction")
    return item


def _escape_like(text: str) -> str:
    """Make `%`, `_` and `\\` match themselves in ILIKE."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
