"""The inventory client, built per request around the shared HTTP client (cheap)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from ...clients.inventory import InventoryClient
from ...deps import AppSettings, Http


async def get_inventory(http: Http, settings: AppSettings) -> InventoryClient:
    return InventoryClient(http, settings.inventory_api_url)


Inventory = Annotated[InventoryClient, Depends(get_inventory)]
