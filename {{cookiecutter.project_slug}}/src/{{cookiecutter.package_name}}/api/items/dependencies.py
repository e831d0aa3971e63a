"""Request-level inputs of the items routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from .schemas import ItemQuery

ItemId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The item's ID.")]
ItemFilters = Annotated[ItemQuery, Query()]
