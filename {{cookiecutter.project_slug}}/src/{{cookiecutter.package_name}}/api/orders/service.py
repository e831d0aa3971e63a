"""Placing an order queues its fulfilment; the worker fulfils it, step by step.

The order's ID is the job's ID, derived from the client's idempotency key: a retried
request finds the first answer in the key store, and even a request that slipped past it
would find the job already in the queue.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TypeAlias
from uuid import UUID

from arq import ArqRedis

from ...idempotency.keys import KeyStore, StoredResponse, fingerprint, once
from ...jobs.queue import enqueue, job_state
from ...log import get_logger
from .schemas import Order, OrderCreate

log = get_logger(__name__)

# The job's name in the queue; `jobs/worker.py` registers `fulfil_order` under it.
FULFIL_ORDER = "fulfil_order"
# Order IDs of idempotency keys: the same key, the same ID, on every instance.
_ORDER_IDS = uuid.UUID("7f1f3c2e-5b0a-4f7e-9a55-0d8e4c3b9a21")

# One step of fulfilment: (order ID, order). Each must be safe to run twice.
FulfilmentStep: TypeAlias = Callable[[UUID, OrderCreate], Awaitable[None]]


def order_id_for(key: str | None, request: str) -> UUID:
    """The order's ID: fixed by its idempotency key and request, random without a key.

    The request is part of it so that a key reused after it expired places a new order,
    while the same request again still meets its first job in the queue.
    """
    return uuid.uuid4() if key is None else uuid.uuid5(_ORDER_IDS, f"{key}\n{request}")


async def place(
    *,
    queue: ArqRedis,
    keys: KeyStore,
    key: str | None,
    data: OrderCreate,
    location: Callable[[UUID], str],
) -> StoredResponse:
    """Queue the order's fulfilment, once per key; return the answer to give (202)."""
    request = fingerprint(data)
    order_id = order_id_for(key, request)

    async def accept() -> StoredResponse:
        await enqueue(
            queue,
            FULFIL_ORDER,
            job_id=str(order_id),
            order_id=str(order_id),
            order=data.model_dump(),
        )
        accepted_at = datetime.now(UTC)
        order = Order(id=order_id, status="queued", accepted_at=accepted_at, **data.model_dump())
        log.info("order accepted", order_id=str(order_id))
        body = order.model_dump_json().encode()
        return StoredResponse(HTTPStatus.ACCEPTED, body, location(order_id))

    if key is None:
        return await accept()
    return await once(keys, key=f"orders:{key}", fingerprint=request, respond=accept)


async def get(*, queue: ArqRedis, order_id: UUID) -> Order | None:
    """The order as its job stands, or None if there is no such job (any more)."""
    state = await job_state(queue, str(order_id))
    if state is None:
        return None
    return Order(
        id=order_id,
        status=state.phase,
        accepted_at=state.enqueued_at,
        finished_at=state.finished_at,
        reason=state.reason,
        **OrderCreate.model_validate(state.kwargs["order"]).model_dump(),
    )


async def fulfil(*, order_id: UUID, order: OrderCreate, steps: Sequence[FulfilmentStep]) -> None:
    """Run every step of fulfilment; an error stops the try (the job decides what next)."""
    for step in steps:
        await step(order_id, order)
    log.info("order fulfilled", order_id=str(order_id))
