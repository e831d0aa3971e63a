"""`POST /api/v1/digests`."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import APIRouter

from ...errors import problem_responses
from . import service
from .schemas import Digest, DigestRequest

router = APIRouter(prefix="/api/v1/digests", tags=["digests"])


@router.post("", responses=problem_responses(HTTPStatus.UNPROCESSABLE_ENTITY))
async def create_digest(body: DigestRequest) -> Digest:
    """Digest the submitted content with the chosen algorithm."""
    return await service.compute(content=body.content.encode(), algorithm=body.algorithm)
