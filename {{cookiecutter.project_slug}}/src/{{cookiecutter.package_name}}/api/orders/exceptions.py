"""The ways an order operation can fail, as the API reports them."""

from __future__ import annotations

from uuid import UUID

from ...errors import NotFoundError


class OrderNotFoundError(NotFoundError):
    def __init__(self, order_id: UUID) -> None:
        super().__init__(f"Order {order_id} does not exist, or finished too long ago.")
