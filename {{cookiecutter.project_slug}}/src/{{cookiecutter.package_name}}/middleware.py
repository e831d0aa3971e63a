"""The request middleware: request ID, log context, one access line, last-resort errors.

Pure ASGI on purpose: it runs on every request, and `BaseHTTPMiddleware` both costs
several times more per request and breaks contextvars propagation into the handler.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.contextvars import bind_contextvars, clear_contextvars
from structlog.typing import FilteringBoundLogger

from .errors import internal_error_response
from .log import get_logger

REQUEST_ID_HEADER = b"x-request-id"
# An incoming ID is trusted only if it is short and made of safe characters, so a
# client cannot inject log lines or blow up log storage through it.
_SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")
_UNMATCHED = "<unmatched>"

log = get_logger(__name__)

# Called with (method, route template or None, status, seconds) once per response.
Observer = Callable[[str, str | None, int, float], None]


class RequestContextMiddleware:
    """Give each HTTP request an ID, bind it for logging, echo it, and log one line."""

    def __init__(self, app: ASGIApp, *, observe: Observer | None = None) -> None:
        self.app = app
        self.observe = observe
        # Built once, when the app builds its middleware (after logging is configured):
        # the lazy module logger would rebuild itself on every request.
        self.log: FilteringBoundLogger = log.bind()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or secrets.token_hex(16)
        clear_contextvars()
        bind_contextvars(request_id=request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        response = _ResponseTracker(send, request_id.encode())
        try:
            await self.app(scope, receive, response.send)
        except Exception:
            self.log.exception("unhandled_error", path=scope["path"])
            if response.started:
                raise
            await internal_error_response(request_id)(scope, receive, response.send)
        finally:
            self._finished(scope, response.status, time.perf_counter() - started)

    def _finished(self, scope: Scope, status: int, seconds: float) -> None:
        template = route_template(scope)
        self.log.info(
            "request",
            method=scope["method"],
            path=template or _UNMATCHED,
            status=status,
            duration_ms=round(seconds * 1000, 2),
        )
        if self.observe is not None:
            self.observe(scope["method"], template, status, seconds)


class _ResponseTracker:
    """Wraps `send`: adds the request-ID header and remembers the status."""

    __slots__ = ("header_value", "send_downstream", "started", "status")

    def __init__(self, send: Send, header_value: bytes) -> None:
        self.send_downstream = send
        self.header_value = header_value
        self.started = False
        self.status = 500

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            self.status = int(message["status"])  # an HTTPStatus would log as its repr
            headers = [*message.get("headers", ()), (REQUEST_ID_HEADER, self.header_value)]
            message["headers"] = headers
        await self.send_downstream(message)


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            return value.decode("ascii") if _SANE_REQUEST_ID.fullmatch(value) else None
    return None


def route_template(scope: Scope) -> str | None:
    """The matched route's full path template (`/api/v1/items/{item_id}`), not the raw path.

    Every router declares its whole prefix (see `api/__init__.py`), so the route FastAPI
    matched carries the full template; None when no route matched.
    """
    template: str | None = getattr(scope.get("route"), "path", None)
    return template
