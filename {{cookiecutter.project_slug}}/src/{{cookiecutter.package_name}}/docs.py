"""API docs: open outside production; in production only behind HTTP Basic credentials."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Depends, FastAPI, HTTPException
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from .security import docs_policy
from .settings import Settings

_basic = HTTPBasic(auto_error=False)


def install_docs(app: FastAPI, settings: Settings) -> None:
    """Serve `/openapi.json`, `/docs` and `/redoc` when the settings allow it."""
    if settings.docs_enabled:
        app.include_router(_docs_router(app, settings))


def _docs_router(app: FastAPI, settings: Settings) -> APIRouter:
    guard = [Depends(_credentials_guard(settings))] if settings.docs_protected else []
    router = APIRouter(include_in_schema=False, dependencies=guard)

    @router.get("/openapi.json")
    async def openapi() -> JSONResponse:
        # Building the document takes a few hundred milliseconds of CPU the first time:
        # never on the event loop, where it would stall every request in flight.
        return JSONResponse(await to_thread.run_sync(app.openapi))

    @router.get("/docs")
    async def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} - docs")
        return _with_policy(page)

    @router.get("/redoc")
    async def redoc() -> HTMLResponse:
        page = get_redoc_html(openapi_url="/openapi.json", title=f"{app.title} - ReDoc")
        return _with_policy(page)

    return router


def _with_policy(page: HTMLResponse) -> HTMLResponse:
    """The page with the content policy it needs, instead of the API's, which allows nothing."""
    page.headers["Content-Security-Policy"] = docs_policy(bytes(page.body))
    return page


def _credentials_guard(
    settings: Settings,
) -> Callable[[HTTPBasicCredentials | None], Coroutine[Any, Any, None]]:
    expected_user = (settings.docs_username or "").encode()
    expected_password = (
        settings.docs_password.get_secret_value() if settings.docs_password else ""
    ).encode()

    async def require_credentials(
        credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
    ) -> None:
        # Compare both in constant time, always, so timing reveals neither.
        user_ok = credentials is not None and secrets.compare_digest(
            credentials.username.encode(), expected_user
        )
        password_ok = credentials is not None and secrets.compare_digest(
            credentials.password.encode(), expected_password
        )
        if not (user_ok and password_ok):
            raise HTTPException(401, "Credentials required.", {"WWW-Authenticate": "Basic"})

    return require_credentials
