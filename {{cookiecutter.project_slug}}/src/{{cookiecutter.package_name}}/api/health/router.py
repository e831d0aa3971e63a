"""`/health/live` says the process runs; `/health/ready` says it can serve traffic."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import APIRouter, Response

from ...deps import AppSettings
from . import service
from .dependencies import ReadinessChecks
from .schemas import Liveness, Readiness

router = APIRouter(prefix="/health", tags=["health"])

_LIVE = Liveness()


@router.get("/live", summary="Liveness probe")
async def liveness() -> Liveness:
    """Answer while the event loop runs; checks nothing else, so restarts stay rare."""
    return _LIVE


@router.get(
    "/ready",
    summary="Readiness probe",
    responses={
        HTTPStatus.SERVICE_UNAVAILABLE: {
            "model": Readiness,
            "description": "A required dependency failed its check.",
        }
    },
)
async def readiness(
    checks: ReadinessChecks, settings: AppSettings, response: Response
) -> Readiness:
    """Probe every configured dependency; 503 names the ones that failed."""
    result = await service.check_readiness(checks, deadline=settings.readiness_timeout_seconds)
    if result.status == "unavailable":
        response.status_code = HTTPStatus.SERVICE_UNAVAILABLE
    return result
