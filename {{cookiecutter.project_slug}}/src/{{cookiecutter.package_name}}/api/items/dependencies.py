"""Request-level inputs of the items routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from .schemas import MAX_BIGINT, ItemQuery

ItemId = Annotated[int, Path(ge=1, le=MAX_BIGINT, description="The item's ID.")]
ItemFilters = Annotated[ItemQuery, Query()]
