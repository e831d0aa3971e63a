"""Per-client limits on writes: past its limit a client gets a 429 problem with `Retry-After`.

`limits` counts, in a sliding window per client address: in Redis, the same counters for
every worker and instance, or in this process's memory, where each worker counts apart.
Reads are never limited. Fail-open: when the counters cannot be reached, writes go
through, and are not counted for `bypass_seconds`, so a store that is down or hung costs
one timeout, not one per request.

Pure ASGI, ahead of routing: a refused write is answered before its body is read.
"""

from __future__ import annotations

import ipaddress
import math
import time
from http import HTTPStatus
from typing import Any

from limits import parse
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import problem_response
from .log import get_logger
from .openapi import documented_problem, operations

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_NAMESPACE = "writes"

log = get_logger(__name__)


class WriteLimits:
    """Counts each client's writes; says how long one past its limit has to wait."""

    def __init__(self, storage: Storage, *, limit: str, bypass_seconds: float) -> None:
        self.limit = parse(limit)
        self.bypass_seconds = bypass_seconds
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self._bypass_until = 0.0

    async def retry_after(self, client: str) -> int | None:
        """Count one write of `client`: None if it may go on, else the seconds to wait."""
        if time.monotonic() < self._bypass_until:
            return None
        try:
            if await self._limiter.hit(self.limit, _NAMESPACE, client):
                return None
            stats = await self._limiter.get_window_stats(self.limit, _NAMESPACE, client)
        except StorageError as exc:
            self._bypass_until = time.monotonic() + self.bypass_seconds
            log.warning(
                "rate_limit_unavailable",
                error=repr(exc.storage_error),
                bypass_seconds=self.bypass_seconds,
            )
            return None
        return max(1, math.ceil(stats.reset_time - time.time()))


class RateLimitMiddleware:
    """Refuse a write from a client past its limit (429); pass everything else through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        state = scope.get("state", {})
        limits: WriteLimits | None = state.get("write_limits")  # opened by the lifespan
        retry_after = None if limits is None else await limits.retry_after(client_key(scope))
        if retry_after is None:
            await self.app(scope, receive, send)
            return
        response = problem_response(
            state.get("request_id"),
            HTTPStatus.TOO_MANY_REQUESTS,
            detail=f"Too many writes from this client; retry in {retry_after} s.",
            instance=scope["path"],
            headers={"Retry-After": str(retry_after)},
        )
        await response(scope, receive, send)


def client_key(scope: Scope) -> str:
    """Who is counted: the client's address; an IPv6 client by its /64, the block one host gets.

    Behind a proxy the address is the proxy's unless the server trusts its `X-Forwarded-For`
    (uvicorn's `--forwarded-allow-ips`, `FORWARDED_ALLOW_IPS`).
    """
    client = scope.get("client")
    if client is None:
        return "unknown"
    host: str = client[0]
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv4Address):
        return host
    if address.ipv4_mapped is not None:  # an IPv4 client of a dual-stack socket
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((address, 64), strict=False))


def document_write_limits(document: dict[str, Any]) -> None:
    """Say in the OpenAPI document that any write may be refused with 429 and `Retry-After`."""
    refusal = documented_problem(HTTPStatus.TOO_MANY_REQUESTS)
    refusal["headers"] = {
        "Retry-After": {
            "description": "Seconds until this client may write again.",
            "schema": {"type": "integer", "minimum": 1},
        }
    }
    for method, operation in operations(document):
        if method in WRITE_METHODS:
            operation["responses"].setdefault("429", refusal)
