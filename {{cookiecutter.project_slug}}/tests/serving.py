"""Drive an app through its lifespan with an HTTP client, as a server would."""

from __future__ import annotations

import asyncio
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
        async with client_of(app, state) as client:
            yield client, state


def client_of(
    app: FastAPI, state: dict[str, Any], address: tuple[str, int] = ("127.0.0.1", 123)
) -> httpx.AsyncClient:
    """A client of the app serving with `state`, whose requests come from `address`."""

    async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
        # A server reads each request off a socket, so each starts a loop step of its own:
        # the blocking guard then times one request, not a test's run of requests that
        # never wait on I/O (a mocked upstream, an open circuit).
        await asyncio.sleep(0)
        # What an ASGI server does with lifespan state: a shallow copy per request.
        scope["state"] = dict(state)
        await app(scope, receive, send)

    transport = httpx.ASGITransport(app=with_state, client=address)
    return httpx.AsyncClient(transport=transport, base_url="http://test")
