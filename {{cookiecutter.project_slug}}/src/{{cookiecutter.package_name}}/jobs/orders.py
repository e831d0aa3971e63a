"""The order jobs: arq's calling convention around the orders service."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ..api.orders import service
from ..api.orders.schemas import OrderCreate
from ..settings import Settings
from .retry import after_failure


async def fulfil_order(ctx: dict[str, Any], *, order_id: str, order: dict[str, Any]) -> None:
    """Fulfil one accepted order, step by step; a failed try is retried or recorded."""
    settings: Settings = ctx["settings"]
    try:
        await service.fulfil(
            order_id=UUID(order_id),
            order=OrderCreate.model_validate(order),
            steps=ctx["fulfilment"],
        )
    except Exception as exc:
        raise after_failure(exc, job_try=ctx["job_try"], settings=settings) from exc
