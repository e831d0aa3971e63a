"""The worker records a fulfilled order in PostgreSQL, once however often the job runs."""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from {{ cookiecutter.package_name }}.api.orders.records import record
from {{ cookiecutter.package_name }}.api.orders.schemas import OrderCreate
from {{ cookiecutter.package_name }}.db import open_database
from {{ cookiecutter.package_name }}.settings import Settings

from .jobs import burst_worker, run_burst


async def test_a_fulfilled_order_is_recorded(
    client: httpx.AsyncClient, settings: Settings, db: asyncpg.Connection
) -> None:
    response = await client.post("/api/v1/orders", json={"sku": "SKU-9", "quantity": 4})

    await run_burst(burst_worker(settings))

    row = await db.fetchrow("SELECT id, sku, quantity FROM orders")
    assert row is not None
    assert (str(row["id"]), row["sku"], row["quantity"]) == (response.json()["id"], "SKU-9", 4)


async def test_recording_twice_changes_nothing(settings: Settings, db: asyncpg.Connection) -> None:
    order = OrderCreate(sku="SKU-9", quantity=4)
    order_id = uuid.uuid4()
    async with open_database(settings) as database:
        await record(db=database, order_id=order_id, order=order)
        await record(db=database, order_id=order_id, order=order)

    assert await db.fetchval("SELECT count(*) FROM orders") == 1
