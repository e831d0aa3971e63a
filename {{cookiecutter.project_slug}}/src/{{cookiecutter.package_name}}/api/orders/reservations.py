"""The fulfilment step that reserves the order's stock at the inventory service.

A module of its own, beside the service, so a project without the upstream has no trace of it.
"""

from __future__ import annotations

from uuid import UUID

from ...clients.inventory import InventoryClient
from .schemas import OrderCreate
from .service import FulfilmentStep


async def reserve(*, inventory: InventoryClient, order_id: UUID, order: OrderCreate) -> None:
    """Hold the stock; the order ID as the upstream's idempotency key makes a repeat harmless."""
    await inventory.reserve(sku=order.sku, quantity=order.quantity, reference=str(order_id))


def reserving(inventory: InventoryClient) -> FulfilmentStep:
    """The step, bound to the worker's inventory client."""

    async def step(order_id: UUID, order: OrderCreate) -> None:
        await reserve(inventory=inventory, order_id=order_id, order=order)

    return step
