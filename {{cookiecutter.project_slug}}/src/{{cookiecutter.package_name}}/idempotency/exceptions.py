"""How a request's idempotency key can be refused, as the API reports it."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import HTTPException

from ..errors import AppError


class InvalidKeyError(AppError):
    status = HTTPStatus.BAD_REQUEST


class KeyReusedError(AppError):
    status = HTTPStatus.UNPROCESSABLE_ENTITY

    def __init__(self) -> None:
        super().__init__("This Idempotency-Key was used with another request; use a new key.")


class KeyInFlightError(HTTPException):
    """A 409 with `Retry-After` (an `HTTPException`: the problem handler passes its headers on)."""

    def __init__(self, *, retry_after: int) -> None:
        super().__init__(
            HTTPStatus.CONFLICT,
            "A request with this Idempotency-Key is still being answered; retry shortly.",
            headers={"Retry-After": str(retry_after)},
        )
