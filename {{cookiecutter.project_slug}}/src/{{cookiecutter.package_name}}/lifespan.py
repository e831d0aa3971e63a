"""Open every resource before the first request and close it after the last.

Resources reach handlers through the lifespan state (see `deps.py`), never through
module globals, so each app instance — and each test — owns its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI

{% if cookiecutter.database == "postgres" -%}
from . import db
{% endif -%}
from .api.health.service import Check
{%- if cookiecutter.use_http_client %}
from .clients.http import open_http_client
{%- endif %}
from .log import get_logger
from .settings import Settings

log = get_logger(__name__)

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[dict[str, Any]]]


def make_lifespan(settings: Settings) -> Lifespan:
    """Bind the settings into the lifespan the app factory hands to FastAPI."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[dict[str, Any]]:
        stack = AsyncExitStack()
        async with stack:
            checks: dict[str, Check] = {}
            state: dict[str, Any] = {"settings": settings, "readiness_checks": checks}
{%- if cookiecutter.database == "postgres" %}
            state["db_pool"] = pool = await stack.enter_async_context(db.open_pool(settings))
            checks["database"] = Check(lambda deadline: db.ping(pool, deadline))
{%- endif %}
{%- if cookiecutter.use_http_client %}
            state["http_client"] = await stack.enter_async_context(open_http_client(settings))
{%- endif %}
            log.info("started", environment=settings.environment)
            yield state
            log.info("stopping")

    return lifespan
