"""Security defaults: headers on every response, CORS, trusted hosts, request limits.

Starlette owns CORS (`CORSMiddleware`) and host checks (`TrustedHostMiddleware`); this
module only chooses their settings, and adds the response headers no library sets for an
API: a JSON API needs no script, style or frame, so its policy allows none.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .limits import RequestLimitsMiddleware
from .settings import Settings

Headers = list[tuple[bytes, bytes]]
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Two years: the preload list's minimum. Sent only by production, where TLS terminates
# in front of the service; a development browser would otherwise pin http://localhost.
HSTS = "max-age=63072000"
# What browsers may send to and read from a page of another origin listed in CORS.
CORS_HEADERS = ["Authorization", "Content-Type", "X-Request-ID"]
CORS_EXPOSED = ["ETag", "Location", "Retry-After", "X-Request-ID"]


def install_security(app: FastAPI, settings: Settings) -> None:
    """Add the security middleware; call before the request middleware, which wraps them."""
    # Added innermost first: the limits then see only requests that passed the host check.
    app.add_middleware(
        RequestLimitsMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_url_bytes=settings.max_url_bytes,
        max_header_count=settings.max_header_count,
        max_header_bytes=settings.max_header_bytes,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=CORS_HEADERS,
            expose_headers=CORS_EXPOSED,
            max_age=600,
        )
    if settings.allowed_hosts and settings.allowed_hosts != ["*"]:
        # Loopback names too: the image's HEALTHCHECK and a probe from inside the pod ask
        # there, and no browser tricked by DNS rebinding sends them as `Host`.
        hosts = [*settings.allowed_hosts, *LOOPBACK_HOSTS]
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts, www_redirect=False)
    app.add_middleware(SecurityHeadersMiddleware, headers=default_headers(settings))


def default_headers(settings: Settings) -> Headers:
    """The headers every response gets unless it set its own."""
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"content-security-policy", API_POLICY.encode()),
    ]
    if settings.environment == "production":
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


class SecurityHeadersMiddleware:
    """Add the default headers to each response that does not carry its own of that name."""

    def __init__(self, app: ASGIApp, *, headers: Headers) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_defaults(message.get("headers", []), self.headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _with_defaults(headers: Headers, defaults: Headers) -> Headers:
    present = {name.lower() for name, _ in headers}
    return [*headers, *(header for header in defaults if header[0] not in present)]


_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
# Swagger UI and ReDoc load from jsDelivr and style themselves inline; ReDoc parses the
# document in a worker it starts from a blob. Everything else stays shut.
_DOCS_DIRECTIVES = (
    "style-src 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com",
    "font-src https://fonts.gstatic.com",
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
    "connect-src 'self'",
    "worker-src blob:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
)


def docs_policy(html: bytes) -> str:
    """The Content-Security-Policy of a docs page: its CDN, and its inline scripts by hash."""
    scripts = ["https://cdn.jsdelivr.net", *map(_script_hash, _INLINE_SCRIPT.findall(html))]
    return "; ".join(["default-src 'none'", f"script-src {' '.join(scripts)}", *_DOCS_DIRECTIVES])


def _script_hash(script: bytes) -> str:
    digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
    return f"'sha256-{digest}'"
