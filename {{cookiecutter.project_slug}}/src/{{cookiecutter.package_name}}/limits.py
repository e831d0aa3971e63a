"""Bounds on what one request may send: URL, headers and body, answered as problems.

uvicorn with httptools (the default of `uvicorn[standard]`) refuses a request line over
about 64 KiB but takes any number of headers of any size, so these bounds are the
service's own, the same under every server. A body is refused when its declared length is
over the bound, before a byte of it is read, and a chunked one as soon as what arrived
passes it, so at most one chunk more than the bound is ever held.

Not FastAPI's `max_body_size`: it runs outside the app's middleware and answers a declared
oversize body with `text/plain`, without the request ID, the access line or problem+json.
"""

from __future__ import annotations

from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import problem_response

# The rest of an oversize body is never read: the connection cannot be reused.
_CLOSE = {"Connection": "close"}
_TOO_LARGE = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
_HEADERS_TOO_LARGE = HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE


class RequestLimitsMiddleware:
    """Refuse a request whose URL (414), headers (431) or body (413) is over its bound."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_url_bytes: int,
        max_header_count: int,
        max_header_bytes: int,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_url_bytes = max_url_bytes
        self.max_header_count = max_header_count
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            status, detail = refusal
            headers = _CLOSE if status == _TOO_LARGE else None
            request_id = scope.get("state", {}).get("request_id")
            response = problem_response(
                request_id, status, detail=detail, instance=scope["path"], headers=headers
            )
            await response(scope, receive, send)
            return
        await self.app(scope, _bounded(receive, self.max_body_bytes), send)

    def _refusal(self, scope: Scope) -> tuple[HTTPStatus, str] | None:
        path: bytes = scope.get("raw_path") or scope["path"].encode()
        if len(path) + len(scope["query_string"]) > self.max_url_bytes:
            return HTTPStatus.REQUEST_URI_TOO_LONG, f"The URL exceeds {self.max_url_bytes} bytes."
        headers = scope["headers"]
        if len(headers) > self.max_header_count:
            return _HEADERS_TOO_LARGE, f"More than {self.max_header_count} headers."
        if sum(len(name) + len(value) for name, value in headers) > self.max_header_bytes:
            return _HEADERS_TOO_LARGE, f"The headers exceed {self.max_header_bytes} bytes."
        if _declared_length(headers) > self.max_body_bytes:
            return _TOO_LARGE, _body_detail(self.max_body_bytes)
        return None


def _declared_length(headers: list[tuple[bytes, bytes]]) -> int:
    """The Content-Length the client declared; 0 without one (the server checked its syntax)."""
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0


def _body_detail(limit: int) -> str:
    return f"The request body exceeds {limit} bytes."


def _bounded(receive: Receive, limit: int) -> Receive:
    """`receive` that counts body bytes and raises a 413 once they pass `limit`.

    An HTTPException, because FastAPI turns any other error raised while it reads the body
    into a 400; the app's handler then answers it as a problem.
    """
    received = 0

    async def receive_within_limit() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(_TOO_LARGE, _body_detail(limit), _CLOSE)
        return message

    return receive_within_limit
