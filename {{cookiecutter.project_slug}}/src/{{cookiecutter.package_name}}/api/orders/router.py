"""`/api/v1/orders`: accept work too slow for a request (202), then poll it."""

from __future__ import annotations

from http import HTTPStatus
from uuid import UUID

from fastapi import APIRouter, Request, Response

from ...deps import IdempotencyKeys, Queue
from ...errors import problem_responses
from . import service
from .dependencies import IdempotencyKey
from .exceptions import OrderNotFoundError
from .schemas import Order, OrderCreate

# Seconds a client should wait before polling an order that is not settled yet; the worker
# picks a job up within about half a second (arq's poll).
POLL_AFTER_SECONDS = "1"
_POLL_HINT = {
    "Retry-After": {
        "description": "Seconds to wait before polling the order.",
        "schema": {"type": "integer", "minimum": 1},
    }
}

router = APIRouter(
    prefix="/api/v1/orders",
    tags=["orders"],
    responses=problem_responses(HTTPStatus.UNPROCESSABLE_ENTITY, HTTPStatus.SERVICE_UNAVAILABLE),
)


@router.post(
    "",
    status_code=HTTPStatus.ACCEPTED,
    response_model=Order,
    responses={
        HTTPStatus.ACCEPTED: {"headers": _POLL_HINT},
        **problem_responses(HTTPStatus.BAD_REQUEST, HTTPStatus.CONFLICT),
    },
)
async def place_order(
    body: OrderCreate, key: IdempotencyKey, queue: Queue, keys: IdempotencyKeys, request: Request
) -> Response:
    """Accept an order for fulfilment and point at it (`Location`).

    Send an `Idempotency-Key` and retry freely: the same key and body get the first answer
    again and the order is placed once; another body with that key is a 422, and a
    retry while the first request is still being answered a 409 with `Retry-After`.
    """
    answer = await service.place(
        queue=queue,
        keys=keys,
        key=key,
        data=body,
        location=lambda order_id: request.app.url_path_for("get_order", order_id=str(order_id)),
    )
    # A replay must repeat the first answer byte for byte: sent as stored, not re-rendered.
    return Response(
        answer.body,
        status_code=answer.status,
        headers={"Location": answer.location, "Retry-After": POLL_AFTER_SECONDS},
        media_type="application/json",
    )


@router.get(
    "/{order_id}",
    responses={
        HTTPStatus.OK: {"headers": _POLL_HINT},
        **problem_responses(HTTPStatus.NOT_FOUND),
    },
)
async def get_order(order_id: UUID, queue: Queue, response: Response) -> Order:
    """Where the order stands: queued, running, succeeded, or failed with the reason.

    Until it is settled, `Retry-After` says when to poll again.
    """
    order = await service.get(queue=queue, order_id=order_id)
    if order is None:
        raise OrderNotFoundError(order_id)
    if order.status in ("queued", "running"):
        response.headers["Retry-After"] = POLL_AFTER_SECONDS
    return order
