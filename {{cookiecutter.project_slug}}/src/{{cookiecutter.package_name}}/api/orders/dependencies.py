"""Request-level inputs of the orders routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from ...idempotency.keys import KEY_SCHEMA, parse_key


async def get_idempotency_key(
    idempotency_key: Annotated[
        str | None,
        Header(
            description="Retry with the same key: the order is placed once.",
            # Documented, checked by `parse_key`: an unusable key is a 400 problem, not a 422.
            json_schema_extra=KEY_SCHEMA,
        ),
    ] = None,
) -> str | None:
    """The request's `Idempotency-Key`, checked (400 if unusable); None when not sent."""
    return None if idempotency_key is None else parse_key(idempotency_key)


IdempotencyKey = Annotated[str | None, Depends(get_idempotency_key)]
