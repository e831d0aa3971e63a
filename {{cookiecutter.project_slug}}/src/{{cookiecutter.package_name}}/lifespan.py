{%- set rate_limited = cookiecutter.rate_limit == "on" or (cookiecutter.rate_limit == "auto" and cookiecutter.cache == "redis") -%}
"""Open every resource before the first request and close it after the last.

Resources reach handlers through the lifespan state (see `deps.py`), never through
module globals, so each app instance — and each test — owns its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI
{%- if rate_limited and cookiecutter.cache == "redis" %}
from limits.aio.storage import RedisStorage
{%- elif rate_limited %}
from limits.aio.storage import MemoryStorage
{%- endif %}

{% if cookiecutter.database == "postgres" -%}
from . import db
{% endif -%}
from .api.health.service import Check
{%- if cookiecutter.cache != "none" %}
from .cache import open_cache
from .cache.reads import CachedReads
{%- endif %}
{%- if cookiecutter.use_http_client %}
from .clients.breaker import build_breakers
from .clients.http import open_http_client
{%- endif %}
from .gc_tuning import tuned_garbage_collection
{%- if cookiecutter.worker == "arq" and cookiecutter.database == "postgres" %}
from .idempotency.postgres import PostgresKeys
{%- elif cookiecutter.worker == "arq" %}
from .idempotency.redis import RedisKeys
{%- endif %}
{%- if cookiecutter.worker == "arq" %}
from .jobs import queue as jobs_queue
{%- endif %}
from .log import get_logger
{%- if cookiecutter.cache != "none" and cookiecutter.use_metrics %}
from .metrics import event_counter, worker_stopped
{%- elif cookiecutter.use_metrics %}
from .metrics import worker_stopped
{%- endif %}
{%- if rate_limited %}
from .rate_limit import WriteLimits
{%- endif %}
from .settings import Settings

log = get_logger(__name__)

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[dict[str, Any]]]


def make_lifespan(settings: Settings) -> Lifespan:
    """Bind the settings into the lifespan the app factory hands to FastAPI."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        stack = AsyncExitStack()
        async with stack:
            checks: dict[str, Check] = {}
{%- if cookiecutter.use_metrics %}
            stack.callback(worker_stopped)
{%- endif %}
            state: dict[str, Any] = {"settings": settings, "readiness_checks": checks}
{%- if cookiecutter.database == "postgres" %}
            state["database"] = database = await stack.enter_async_context(
                db.open_database(settings)
            )
            checks["database"] = Check(lambda deadline: db.ping(database, deadline))
{%- endif %}
{%- if cookiecutter.cache != "none" %}
            cache = await stack.enter_async_context(open_cache(settings))
            checks["cache"] = Check(cache.ping, required=settings.cache_required)
            state["cached_reads"] = CachedReads(
                cache,
                ttl=settings.cache_ttl_seconds,
                prefix=settings.cache_key_prefix,
                bypass_seconds=settings.cache_bypass_seconds,
{%- if cookiecutter.use_metrics %}
                observe=event_counter(
                    app.state.metrics_registry,
                    "cache_requests_total",
                    "Cached reads by route and result (hit, miss, error).",
                    ("route", "result"),
                ),
{%- endif %}
            )
{%- endif %}
{%- if cookiecutter.use_http_client %}
            state["http_client"] = await stack.enter_async_context(open_http_client(settings))
            state["circuit_breakers"] = build_breakers(settings)
{%- endif %}
{%- if cookiecutter.worker == "arq" %}
            state["queue"] = queue = await stack.enter_async_context(
                jobs_queue.open_queue(settings)
            )
            # Not required: without Redis only placing orders fails (503), reads still answer.
            checks["queue"] = Check(lambda deadline: jobs_queue.ping(queue), required=False)
{%- if cookiecutter.database == "postgres" %}
            state["idempotency_keys"] = PostgresKeys(
                database, ttl=settings.idempotency_key_ttl_seconds
            )
{%- else %}
            state["idempotency_keys"] = RedisKeys(
                queue,
                prefix=f"{settings.worker_queue_name}:idempotency:",
                ttl=settings.idempotency_key_ttl_seconds,
            )
{%- endif %}
{%- endif %}
{%- if rate_limited %}
            state["write_limits"] = WriteLimits(
{%- if cookiecutter.cache == "redis" %}
                # The cache's connections: one store for every instance, the cache's bounds.
                RedisStorage(
                    "async+redis://",
                    implementation="redispy",
                    # Documented, though typed as if every option were a number or a string.
                    connection_pool=cache.client.connection_pool,  # type: ignore[arg-type]
                    key_prefix=f"{settings.cache_key_prefix}rate-limit",
                    wrap_exceptions=True,
                ),
{%- else %}
                MemoryStorage(),
{%- endif %}
                limit=settings.rate_limit_writes,
                bypass_seconds=settings.rate_limit_bypass_seconds,
            )
{%- endif %}
            # Last: everything opened above is then frozen with the rest of startup.
            stack.enter_context(tuned_garbage_collection(settings.gc_young_threshold))
            log.info("started", environment=settings.environment)
            yield state
            log.info("stopping")

    return lifespan
