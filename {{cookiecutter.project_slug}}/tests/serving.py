"""Drive an app through its lifespan with an HTTP client, as a server would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any]]]:
    """Start the app's lifespan; yield a client and the lifespan state (its resources)."""
    async with app.router.lifespan_context(app) as opened:
        state: dict[str, Any] = dict(opened or {})

        async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
            # What an ASGI server does with lifespan state: a shallow copy per request.
            scope["state"] = dict(state)
            await app(scope, receive, send)

        transport = httpx.ASGITransport(app=with_state)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, state
