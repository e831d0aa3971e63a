"""The inventory client, built per request around the shared HTTP client (cheap)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ...clients.inventory import InventoryClient
from ...deps import AppSettings, CircuitBreakers, Http


async def get_inventory(
    http: Http, settings: AppSettings, breakers: CircuitBreakers
) -> InventoryClient:
    return InventoryClient(http, settings.inventory_api_url, breakers)


Inventory = Annotated[InventoryClient, Depends(get_inventory)]
