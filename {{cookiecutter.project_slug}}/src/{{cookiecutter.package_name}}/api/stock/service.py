"""Stock rules: what may be sold is what is on hand and not reserved."""

from __future__ import annotations

from ...clients.inventory import InventoryClient
from .schemas import Stock


async def get(*, inventory: InventoryClient, sku: str) -> Stock:
    """The sellable stock of one SKU."""
    record = await inventory.get_stock(sku)
    available = max(record.on_hand - record.reserved, 0)
    return Stock(sku=record.sku, available=available, updated_at=record.updated_at)
