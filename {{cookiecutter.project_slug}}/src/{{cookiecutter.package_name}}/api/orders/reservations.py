"""The fulfilment step that reserves the order's stock at the inventory service.

A module of its own, beside the service, so a project without the upstream has no trace of it.
"""

from __future__ import annotations

from uuid import UUID

import httpx

from ...errors import ConflictError, NotFoundError, UpstreamError
from .schemas import OrderCreate
from .service import FulfilmentStep


async def reserve(
    *, http: httpx.AsyncClient, base_url: str, order_id: UUID, order: OrderCreate
) -> None:
    """Hold the stock; the order ID as the upstream's idempotency key makes a repeat harmless.

    A refusal (4xx) is final; a 5xx or no answer is worth another try later.
    """
    try:
        response = await http.post(
            f"{base_url.rstrip('/')}/reservations",
            json={"sku": order.sku, "quantity": order.quantity, "reference": str(order_id)},
            headers={"Idempotency-Key": str(order_id)},
        )
    except httpx.TimeoutException as exc:
        raise UpstreamError("The inventory service did not answer in time.") from exc
    except httpx.TransportError as exc:
        raise UpstreamError("The inventory service is unreachable.") from exc
    _raise_for_refusal(response, order)


def _raise_for_refusal(response: httpx.Response, order: OrderCreate) -> None:
    if response.status_code == httpx.codes.NOT_FOUND:
        raise NotFoundError(f"The inventory has no SKU {order.sku!r}.")
    if response.status_code == httpx.codes.CONFLICT:
        raise ConflictError(f"The inventory has fewer than {order.quantity} of {order.sku!r}.")
    if response.is_client_error:
        raise ConflictError(f"The inventory refused the reservation ({response.status_code}).")
    if response.is_error:
        raise UpstreamError(f"The inventory service answered {response.status_code}.")


def reserving(http: httpx.AsyncClient, base_url: str) -> FulfilmentStep:
    """The step, bound to the worker's HTTP client."""

    async def step(order_id: UUID, order: OrderCreate) -> None:
        await reserve(http=http, base_url=base_url, order_id=order_id, order=order)

    return step
