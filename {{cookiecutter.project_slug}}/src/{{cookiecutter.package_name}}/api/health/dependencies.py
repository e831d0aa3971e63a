"""The readiness checks the lifespan registered for the resources it opened."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, Request

from .service import Check


async def get_checks(request: Request) -> Mapping[str, Check]:
    checks: Mapping[str, Check] = request.state.readiness_checks
    return checks


# Scoped like the resource aliases in `deps.py`, for the same reasons.
ReadinessChecks = Annotated[Mapping[str, Check], Depends(get_checks, scope="request")]
