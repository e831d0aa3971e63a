"""The one shared `httpx.AsyncClient`: explicit timeouts and limits, request ID passed on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from structlog.contextvars import get_contextvars

from ..settings import Settings

REQUEST_ID_HEADER = "X-Request-ID"


def build_http_client(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """Build the client; tests pass an `httpx.MockTransport` as `transport`."""
    limits = httpx.Limits(
        max_connections=settings.http_max_connections,
        max_keepalive_connections=settings.http_max_keepalive_connections,
    )
    # Retrying connection failures is safe for every method: the request never left.
    # Anything later is the caller's decision, made per idempotent operation.
    default_transport = httpx.AsyncHTTPTransport(
        limits=limits, retries=settings.http_connect_retries
    )
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.http_read_timeout_seconds,
            connect=settings.http_connect_timeout_seconds,
            pool=settings.http_connect_timeout_seconds,
        ),
        transport=transport or default_transport,
        event_hooks={"request": [_pass_on_request_id]},
        follow_redirects=False,
    )


@asynccontextmanager
async def open_http_client(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """Share one client (and its connection pool) for the app's, or the worker's, lifetime."""
    async with build_http_client(settings, transport=transport) as client:
        yield client


async def _pass_on_request_id(request: httpx.Request) -> None:
    request_id = get_contextvars().get("request_id")
    if request_id is not None and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = str(request_id)
