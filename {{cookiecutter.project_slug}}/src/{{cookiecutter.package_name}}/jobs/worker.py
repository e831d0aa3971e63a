"""The worker: `arq {{ cookiecutter.package_name }}.jobs.worker.WorkerSettings` (`make worker`).

arq reads its options from `WorkerSettings`. That name is resolved when first asked for
(the module's `__getattr__`), so the settings are read and logging configured when the
worker starts, never at import; tests build their own worker from `worker_settings()`.

Nothing is lost when a worker stops: on SIGTERM it takes no new job, gives running ones
`APP_WORKER_SHUTDOWN_GRACE_SECONDS` to finish, then cancels them and puts them back in the
queue. A worker killed outright leaves its jobs' in-progress keys to expire
(`APP_WORKER_JOB_TIMEOUT_SECONDS` + 10 s), after which another worker runs them. Either
way a job may run twice, so every job must be safe to repeat.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import structlog
from arq import Retry, func
from arq.worker import Function

{% if cookiecutter.database == "postgres" -%}
from .. import db
{% endif -%}
{% if cookiecutter.database == "postgres" -%}
from ..api.orders.records import recording
{% endif -%}
{% if cookiecutter.use_http_client -%}
from ..api.orders.reservations import reserving
{% endif -%}
from ..api.orders.service import FULFIL_ORDER
{% if cookiecutter.use_http_client -%}
from ..clients.http import open_http_client
{% endif -%}
{% if cookiecutter.database == "postgres" -%}
from ..idempotency.postgres import PostgresKeys
{% endif -%}
from ..log import configure_logging, get_logger
from ..settings import Settings
{%- if cookiecutter.database == "postgres" %}
from .housekeeping import housekeeping_jobs
{%- endif %}
{%- if cookiecutter.use_metrics %}
from .metrics import serving_job_metrics
{%- endif %}
from .orders import fulfil_order
from .queue import redis_settings

log = get_logger(__name__)

# What arq's CLI hands to `logging.config.dictConfig` (`--custom-log-dict`, see the
# Makefile): incremental and empty, it keeps the service's own configuration.
ARQ_LOGGING: dict[str, Any] = {"version": 1, "incremental": True}

JobFunction = Callable[..., Awaitable[Any]]
# Told of every try: (function, outcome, seconds).
Observer = Callable[[str, str, float], None]


def observed(name: str, function: JobFunction) -> Function:
    """Register a job under `name`, its log lines bound to the enqueuing request's ID."""

    @functools.wraps(function)
    async def run(
        ctx: dict[str, Any], *args: Any, request_id: str | None = None, **kwargs: Any
    ) -> Any:
        context = {"request_id": request_id, "job_id": ctx["job_id"], "job_try": ctx["job_try"]}
        with structlog.contextvars.bound_contextvars(job=name, **context):
            started = time.perf_counter()
            outcome = "failed"
            try:
                result = await function(ctx, *args, **kwargs)
                outcome = "succeeded"
                return result
            except Retry:
                outcome = "retried"
                raise
            except asyncio.CancelledError:  # the worker is stopping: the job goes back
                outcome = "cancelled"
                raise
            finally:
                _finished(ctx["observers"], name, outcome, time.perf_counter() - started)

    return func(run, name=name)


def _finished(observers: list[Observer], name: str, outcome: str, seconds: float) -> None:
    log.info("job finished", outcome=outcome, duration_ms=round(seconds * 1000, 2))
    for observe in observers:
        observe(name, outcome, seconds)


FUNCTIONS = [observed(FULFIL_ORDER, fulfil_order)]


async def startup(ctx: dict[str, Any]) -> None:
    """Open the worker's resources with the factories the app's lifespan uses."""
    settings: Settings = ctx["settings"]
    # arq's CLI gives its logger a handler of its own: its lines already reach ours.
    logging.getLogger("arq").handlers.clear()
    async with AsyncExitStack() as stack:
{%- if cookiecutter.database == "postgres" %}
        database = await stack.enter_async_context(db.open_database(settings))
        ctx["idempotency_keys"] = PostgresKeys(database, ttl=settings.idempotency_key_ttl_seconds)
{%- endif %}
{%- if cookiecutter.use_http_client %}
        # Tests hand an `httpx.MockTransport` in the context; a deployment never does.
        http = await stack.enter_async_context(
            open_http_client(settings, transport=ctx.get("http_transport"))
        )
{%- endif %}
        # The steps of fulfilling an order, in order; each is safe to repeat.
        ctx["fulfilment"] = [
{%- if cookiecutter.use_http_client or cookiecutter.database == "postgres" %}
{%- if cookiecutter.use_http_client %}
            reserving(http, settings.inventory_api_url),
{%- endif %}
{%- if cookiecutter.database == "postgres" %}
            recording(database),
{%- endif %}
        {% endif -%}
        ]
        ctx["observers"] = [
{%- if cookiecutter.use_metrics %}
            stack.enter_context(serving_job_metrics(settings.worker_metrics_port)),
        {% endif -%}
        ]
        ctx["resources"] = stack.pop_all()
    log.info("worker started", queue=settings.worker_queue_name)


async def shutdown(ctx: dict[str, Any]) -> None:
    """Close what `startup` opened."""
    await ctx["resources"].aclose()
    log.info("worker stopped")


def worker_settings(settings: Settings | None = None) -> dict[str, Any]:
    """arq's `Worker` options for these settings (read from the environment if not given)."""
    settings = settings or Settings()
    configure_logging(level=settings.log_level, json=settings.renders_json_logs)
    return {
        "functions": FUNCTIONS,
{%- if cookiecutter.database == "postgres" %}
        "cron_jobs": housekeeping_jobs(),
{%- endif %}
        "queue_name": settings.worker_queue_name,
        "redis_settings": redis_settings(settings),
        "on_startup": startup,
        "on_shutdown": shutdown,
        "ctx": {"settings": settings},
        "max_jobs": settings.worker_max_jobs,
        "job_timeout": settings.worker_job_timeout_seconds,
        "max_tries": settings.worker_max_tries,
        # Outcomes stay pollable as long as the idempotency key that led to them.
        "keep_result": settings.idempotency_key_ttl_seconds,
        "job_completion_wait": settings.worker_shutdown_grace_seconds,
        "health_check_interval": settings.worker_health_check_seconds,
    }


def __getattr__(name: str) -> Any:
    """`WorkerSettings`, built when arq's CLI asks for it."""
    if name == "WorkerSettings":
        return worker_settings()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
