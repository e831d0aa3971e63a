"""Our view of stock: what clients of this service may rely on."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints

Sku = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


class Stock(BaseModel):
    sku: str
    available: int
    updated_at: datetime
