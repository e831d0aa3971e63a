"""The least code that serves one item with its tags from PostgreSQL: the database baseline.

FastAPI with its defaults and an asyncpg pool opened in the lifespan; no middleware, no
schema, the row returned as a dict. The harness passes the service's own query in
BENCH_ITEM_SQL (read from the baked `api/items/service.py`), so both run the same SQL.
The pool is sized like the service's defaults (2 to 10).
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, HTTPException, Request

SQL = os.environ["BENCH_ITEM_SQL"]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, asyncpg.Pool]]:
    pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=2, max_size=10)
    try:
        yield {"pool": pool}
    finally:
        await pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/api/v1/items/{item_id}")
async def get_item(item_id: int, request: Request) -> dict[str, Any]:
    pool: asyncpg.Pool = request.state.pool
    row = await pool.fetchrow(SQL, item_id)
    if row is None:
        raise HTTPException(status_code=404)
    return dict(row)
