"""The inventory service: the example upstream. Returns typed models, raises our errors."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import httpx
from purgatory import AsyncCircuitBreakerFactory
from pydantic import BaseModel, ValidationError

from ..errors import NotFoundError, UpstreamError
from .breaker import guarded


class InventoryStock(BaseModel):
    """The upstream's view of one SKU; only the fields we use."""

    sku: str
    on_hand: int
    reserved: int
    updated_at: datetime


class InventoryClient:
    """Calls the inventory service over the shared HTTP client, behind its circuit breaker."""

    def __init__(
        self, http: httpx.AsyncClient, base_url: str, breakers: AsyncCircuitBreakerFactory
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._breakers = breakers

    async def get_stock(self, sku: str) -> InventoryStock:
        """Fetch the stock record of one SKU; a 503 at once while the service keeps failing."""
        async with guarded(self._breakers, "inventory"):
            return await self._fetch_stock(sku)

    async def _fetch_stock(self, sku: str) -> InventoryStock:
        response = await self._get(f"/stock/{quote(sku, safe='')}")
        if response.status_code == httpx.codes.NOT_FOUND:
            raise NotFoundError(f"The inventory has no SKU {sku!r}.")
        if response.is_error:
            raise UpstreamError(f"The inventory service answered {response.status_code}.")
        try:
            return InventoryStock.model_validate_json(response.content)
        except ValidationError as exc:
            raise UpstreamError("The inventory service sent an invalid answer.") from exc

    async def _get(self, path: str) -> httpx.Response:
        try:
            return await self._http.get(self._base_url + path)
        except httpx.TimeoutException as exc:
            raise UpstreamError("The inventory service did not answer in time.") from exc
        except httpx.TransportError as exc:
            raise UpstreamError("The inventory service is unreachable.") from exc
