"""The fulfilment step that records the order in PostgreSQL.

A module of its own, beside the service, so a project without a database has no trace of it.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from ...db import Database
from ...errors import ServiceUnavailableError
from .schemas import OrderCreate
from .service import FulfilmentStep

# The order's ID is its key: a second run of the step finds the row and changes nothing.
_RECORD = """
INSERT INTO orders (id, sku, quantity) VALUES ($1, $2, $3)
ON CONFLICT (id) DO NOTHING
"""
# A server restarting, or a connection lost on the way: gone in a moment, worth a retry.
_BRIEFLY_UNAVAILABLE = (OSError, asyncpg.InterfaceError, asyncpg.OperatorInterventionError)


async def record(*, db: Database, order_id: UUID, order: OrderCreate) -> None:
    """Store the fulfilled order, once."""
    try:
        await db.execute(_RECORD, order_id, order.sku, order.quantity)
    except _BRIEFLY_UNAVAILABLE as exc:
        raise ServiceUnavailableError("The database is briefly unavailable.") from exc


def recording(db: Database) -> FulfilmentStep:
    """The step, bound to the worker's database."""

    async def step(order_id: UUID, order: OrderCreate) -> None:
        await record(db=db, order_id=order_id, order=order)

    return step
