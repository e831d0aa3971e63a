"""Response caching for a router's routes, applied through its `route_class`.

GET responses (200 only) are cached under a key made of everything that changes the
answer: the path (API version included), the sorted query and the `Vary` headers.
On a hit the handler does not run at all, dependencies included: only cache routes
whose answer does not depend on who asks, or list the identifying headers in `vary`.
Every other method invalidates the namespace when it succeeds. Cached and fresh
answers carry an `ETag`; `If-None-Match` gets a 304.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine, Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.types import Scope
from structlog.contextvars import bind_contextvars

from ..middleware import route_template
from .reads import CachedReads

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

# Clients and shared caches may keep a copy but must revalidate it (cheap, via ETag).
CACHE_CONTROL = "no-cache"


def cached_route(namespace: str, *, vary: Sequence[str] = ()) -> type[APIRoute]:
    """An `APIRoute` class caching GETs in `namespace`; other methods invalidate it."""

    class CachedRoute(APIRoute):
        def get_route_handler(self) -> Handler:
            handler = super().get_route_handler()
            if self.methods == {"GET"}:
                return _serve_from_cache(handler, namespace, vary)
            return _invalidate_after(handler, namespace)

    return CachedRoute


def _serve_from_cache(handler: Handler, namespace: str, vary: Sequence[str]) -> Handler:
    async def cached_handler(request: Request) -> Response:
        reads: CachedReads = request.state.cached_reads
        fresh: list[Response] = []

        async def load() -> bytes | None:
            response = await handler(request)
            fresh.append(response)
            return bytes(response.body) if response.status_code == 200 else None

        lookup = await reads.read(
            namespace,
            _request_key(request, vary),
            load,
            # Inside a route the template is known; never the raw path (unbounded labels).
            route=route_template(request.scope) or "none",
        )
        bind_contextvars(cache=lookup.result)
        if lookup.body is None:  # not cacheable (a 404...): as the handler answered
            return fresh[0] if fresh else await handler(request)
        return _conditional(request, lookup.body, lookup.result, vary)

    return cached_handler


def _invalidate_after(handler: Handler, namespace: str) -> Handler:
    async def invalidating_handler(request: Request) -> Response:
        response = await handler(request)
        if response.status_code < 400:
            reads: CachedReads = request.state.cached_reads
            await reads.invalidate(namespace)
        return response

    return invalidating_handler


def _request_key(request: Request, vary: Sequence[str]) -> str:
    # From the scope, not `request.url` and `request.query_params`: building those was a
    # seventh of a cached read, and most cached requests have no query string at all.
    scope = request.scope
    query = urlencode(sorted(request.query_params.multi_items())) if scope["query_string"] else ""
    varying = "&".join(f"{name}={request.headers.get(name, '')}" for name in vary) if vary else ""
    return f"{scope['path']}?{query}#{varying}"


def _conditional(request: Request, body: bytes, result: str, vary: Sequence[str]) -> Response:
    etag = f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "X-Cache": result}
    if vary:
        headers["Vary"] = ", ".join(vary)
    if etag.encode() in _if_none_match(request.scope):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _if_none_match(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            return bytes(value)
    return b""
