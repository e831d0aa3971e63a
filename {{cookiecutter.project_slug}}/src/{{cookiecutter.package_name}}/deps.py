"""The dependencies handlers declare: each resource the lifespan opened, by type.

All `async def`, though none awaits: FastAPI runs a plain `def` dependency in its
thread pool, a hop that costs more than the rest of a cheap request.
"""

from __future__ import annotations

from typing import Annotated

{% if cookiecutter.use_http_client -%}
import httpx
{% endif -%}
{% if cookiecutter.worker == "arq" -%}
from arq import ArqRedis
{% endif -%}
from fastapi import Depends, Request
{%- if cookiecutter.use_http_client %}
from purgatory import AsyncCircuitBreakerFactory
{%- endif %}

{% if cookiecutter.database == "postgres" -%}
from . import db
{% endif -%}
{% if cookiecutter.cache != "none" -%}
from .cache.reads import CachedReads
{% endif -%}
{% if cookiecutter.worker == "arq" -%}
from .idempotency.keys import KeyStore
{% endif -%}
from .settings import Settings


async def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.state.settings
    return settings
{%- if cookiecutter.database == "postgres" %}


async def get_database(request: Request) -> db.Database:
    """The database: the pool, lending a connection per query within a deadline."""
    database: db.Database = request.state.database
    return database
{%- endif %}
{%- if cookiecutter.use_http_client %}


async def get_http_client(request: Request) -> httpx.AsyncClient:
    """The one shared HTTP client; never build a client per request."""
    client: httpx.AsyncClient = request.state.http_client
    return client


async def get_circuit_breakers(request: Request) -> AsyncCircuitBreakerFactory:
    """The upstreams' circuit breakers, shared by every request of this process."""
    breakers: AsyncCircuitBreakerFactory = request.state.circuit_breakers
    return breakers
{%- endif %}
{%- if cookiecutter.cache != "none" %}


async def get_cached_reads(request: Request) -> CachedReads:
    """Cache-aside reads over the cache backend the lifespan opened."""
    reads: CachedReads = request.state.cached_reads
    return reads
{%- endif %}

{%- if cookiecutter.worker == "arq" %}


async def get_queue(request: Request) -> ArqRedis:
    """The job queue (arq's pool): enqueue work for the worker, read how it went."""
    queue: ArqRedis = request.state.queue
    return queue


async def get_idempotency_keys(request: Request) -> KeyStore:
    """Where the idempotency keys of accepted requests are kept."""
    keys: KeyStore = request.state.idempotency_keys
    return keys
{%- endif %}


# `scope="request"`: what the lifespan opened outlives every request, and a dependency
# with yield (scoped "request") can then build on these aliases.
AppSettings = Annotated[Settings, Depends(get_settings, scope="request")]
{%- if cookiecutter.database == "postgres" %}
Db = Annotated[db.Database, Depends(get_database, scope="request")]
{%- endif %}
{%- if cookiecutter.cache != "none" %}
Cache = Annotated[CachedReads, Depends(get_cached_reads, scope="request")]
{%- endif %}
{%- if cookiecutter.use_http_client %}
Http = Annotated[httpx.AsyncClient, Depends(get_http_client, scope="request")]
CircuitBreakers = Annotated[
    AsyncCircuitBreakerFactory, Depends(get_circuit_breakers, scope="request")
]
{%- endif %}
{%- if cookiecutter.worker == "arq" %}
Queue = Annotated[ArqRedis, Depends(get_queue, scope="request")]
IdempotencyKeys = Annotated[KeyStore, Depends(get_idempotency_keys, scope="request")]
{%- endif %}
