"""Request-level inputs of the orders routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from ...idempotency.keys import parse_key


async def get_idempotency_key(
    idempotency_key: Annotated[
        str | None,
        Header(description="Retry with the same key: the order is placed once."),
    ] = None,
) -> str | None:
    """The request's `Idempotency-Key`, checked (400 if unusable); None when not sent."""
    return None if idempotency_key is None else parse_key(idempotency_key)


IdempotencyKey = Annotated[str | None, Depends(get_idempotency_key)]
