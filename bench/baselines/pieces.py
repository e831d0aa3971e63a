"""Bare FastAPI plus one piece of the service's hot path, chosen by `BENCH_PIECE`.

`library_costs.py` serves each under uvicorn as `run.py` serves the service and subtracts
the server CPU per request of the app without the piece. Every app answers the request
`BENCH_PATH` names with `{"status": "ok"}`; FastAPI's own telemetry is off, as in the service.
The pieces are configured as the generated service configures them (see its `log.py`,
`metrics.py`, `cache/redis.py`):

- `bare`: one route on the app.
- `router`: the same route in an `APIRouter(prefix="/health")` the app includes.
- `host`: a pure-ASGI middleware that makes a request ID, wraps `send` for the status and
  times the request: the service's request middleware without its log line and metrics.
- `access_line`: `host` plus structlog (log context cleared and bound, one `info` line, JSON
  through orjson to standard output as bytes).
- `metrics`: `host` plus prometheus_client (one `inc()` and one `observe()` on cached label
  children; multiprocess mode when `PROMETHEUS_MULTIPROC_DIR` is set, as the harness does).
- `redis`: one `GET` through redis-py (`redis.asyncio`, a `BlockingConnectionPool` of
  `BENCH_REDIS_POOL` connections, 32 as in the service) per request.
- `rate_limit`: one hit on `limits`' sliding-window counter per request, kept in Redis through
  a redis-py pool configured as the `redis` piece's (the service's `rate_limit.py` with the
  Redis cache); `BENCH_RATE_STORE=memory` keeps it in process memory instead. The limit is
  never reached.
- `routes`: `BENCH_ROUTES` routes; the request goes to the last one.
- `instrumentator`: `routes` plus `prometheus-fastapi-instrumentator`, the requested route in
  its `excluded_handlers`: it still finds the route's template by matching the routes again,
  then records nothing, so what it adds is that look-up.
"""

import logging
import os
import secrets
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request

PIECE = os.environ.get("BENCH_PIECE", "bare")
ROUTES = int(os.environ.get("BENCH_ROUTES", "1"))
OK = {"status": "ok"}
TELEMETRY_OFF: Any = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REDIS_KEY = "bench:value"

# Called with the request's scope, the response status and the seconds it took.
Observer = Callable[[Any, int, float], None]


async def live() -> dict[str, str]:
    return OK


class Host:
    """The service's request middleware reduced to its plumbing; `observe` gets each response."""

    def __init__(self, app: Any, *, observe: Observer | None = None) -> None:
        self.app = app
        self.observe = observe

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(16)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                header = (b"x-request-id", request_id.encode())
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.observe is not None:
                self.observe(scope, status, time.perf_counter() - started)


def access_line() -> Observer:
    """structlog as the service's `log.py` configures it for production (JSON)."""
    import orjson
    import structlog
    from structlog.contextvars import bind_contextvars, clear_contextvars

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.BytesLoggerFactory(sys.stdout.buffer),
        cache_logger_on_first_use=False,
    )
    log = structlog.get_logger(logger_name="bench.middleware").bind()

    def write(scope: Any, status: int, seconds: float) -> None:
        clear_contextvars()
        bind_contextvars(request_id=scope["state"]["request_id"])
        log.info(
            "request",
            method=scope["method"],
            path=scope["route"].path,
            status=status,
            duration_ms=round(seconds * 1000, 2),
        )

    return write


def metrics() -> Observer:
    """prometheus_client as the service's `metrics.py` uses it: cached label children."""
    from prometheus_client import CollectorRegistry, Counter, Histogram

    registry = CollectorRegistry()
    labels = ("handler", "method", "status")
    requests = Counter("http_requests_total", "Requests.", labels, registry=registry)
    duration = Histogram(
        "http_request_duration_seconds",
        "Durations.",
        labels,
        buckets=LATENCY_BUCKETS,
        registry=registry,
    )
    children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(scope: Any, status: int, seconds: float) -> None:
        key = (scope["route"].path, scope["method"], status)
        if (pair := children.get(key)) is None:
            values = (key[0], key[1], str(status))
            pair = children[key] = (requests.labels(*values), duration.labels(*values))
        pair[0].inc()
        pair[1].observe(seconds)

    return observe


def redis_app() -> FastAPI:
    """One `GET` per request through a pool configured as the service's `cache/redis.py`."""
    from redis.asyncio import BlockingConnectionPool, Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Redis]]:
        pool = BlockingConnectionPool.from_url(
            os.environ["REDIS_URL"],
            max_connections=int(os.environ.get("BENCH_REDIS_POOL", "32")),
            timeout=1.0,
            socket_timeout=0.25,
            socket_connect_timeout=0.25,
            retry=Retry(NoBackoff(), retries=0),
            client_name="bench",
        )
        client = Redis.from_pool(pool)
        await client.set(REDIS_KEY, b"x" * 200)
        try:
            yield {"redis": client}
        finally:
            await client.aclose()

    app = FastAPI(lifespan=lifespan, telemetry=TELEMETRY_OFF)

    @app.get("/health/live")
    async def live_after_get(request: Request) -> dict[str, str]:
        await request.state.redis.get(REDIS_KEY)
        return OK

    return app


def rate_limit_app(store: str) -> FastAPI:
    """One `limits` hit per request, in Redis (on a redis-py pool) or in process memory."""
    from limits import parse
    from limits.aio.storage import MemoryStorage, RedisStorage
    from limits.aio.strategies import SlidingWindowCounterRateLimiter
    from redis.asyncio import BlockingConnectionPool
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    limit = parse("1000000000/minute")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        if store == "memory":
            yield {"limiter": SlidingWindowCounterRateLimiter(MemoryStorage())}
            return
        pool = BlockingConnectionPool.from_url(
            os.environ["REDIS_URL"],
            max_connections=32,
            timeout=1.0,
            socket_timeout=0.25,
            socket_connect_timeout=0.25,
            retry=Retry(NoBackoff(), retries=0),
        )
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            connection_pool=pool,
            key_prefix="bench:rate-limit",
            wrap_exceptions=True,
        )
        try:
            yield {"limiter": SlidingWindowCounterRateLimiter(storage)}
        finally:
            await pool.aclose()

    app = FastAPI(lifespan=lifespan, telemetry=TELEMETRY_OFF)

    @app.get("/health/live")
    async def live_after_hit(request: Request) -> dict[str, str]:
        await request.state.limiter.hit(limit, "writes", "127.0.0.1")
        return OK

    return app


def routes_app(count: int) -> FastAPI:
    """`count` routes; the last is the one requested."""
    app = FastAPI(telemetry=TELEMETRY_OFF)
    for index in range(count):
        app.add_api_route(f"/api/v1/resource-{index:03d}", live, methods=["GET"], name=str(index))
    return app


def build(piece: str) -> FastAPI:
    """The app for `piece`."""
    if piece == "redis":
        return redis_app()
    if piece == "rate_limit":
        return rate_limit_app(os.environ.get("BENCH_RATE_STORE", "redis"))
    if piece in ("routes", "instrumentator"):
        app = routes_app(ROUTES)
        if piece == "instrumentator":
            from prometheus_fastapi_instrumentator import Instrumentator

            last = f"^/api/v1/resource-{ROUTES - 1:03d}$"
            Instrumentator(excluded_handlers=[last]).instrument(app)
        return app
    app = FastAPI(telemetry=TELEMETRY_OFF)
    if piece == "router":
        router = APIRouter(prefix="/health")
        router.add_api_route("/live", live, methods=["GET"])
        app.include_router(router)
    else:
        app.add_api_route("/health/live", live, methods=["GET"])
    observers = {"access_line": access_line, "metrics": metrics}
    if piece in ("host", *observers):
        observer = observers[piece]() if piece in observers else None
        app.add_middleware(Host, observe=observer)
    return app


app = build(PIECE)
