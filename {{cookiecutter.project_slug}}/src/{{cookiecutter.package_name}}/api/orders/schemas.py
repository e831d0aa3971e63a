"""Order payloads and views. Inputs forbid unknown fields, so typos fail loudly."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Sku = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
OrderStatus = Literal["queued", "running", "succeeded", "failed"]


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    quantity: int = Field(ge=1, le=10_000)


class Order(BaseModel):
    id: UUID
    status: OrderStatus
    sku: str
    quantity: int
    accepted_at: datetime
    finished_at: datetime | None = None
    reason: str | None = Field(default=None, description="Why it failed, when it did.")
