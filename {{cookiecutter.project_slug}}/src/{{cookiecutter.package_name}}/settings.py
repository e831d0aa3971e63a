{%- set rate_limited = cookiecutter.rate_limit == "on" or (cookiecutter.rate_limit == "auto" and cookiecutter.cache == "redis") -%}
"""Service configuration, read from the environment (and `.env`) and validated once."""

from __future__ import annotations

from typing import Literal, Self

{% if rate_limited -%}
from limits import parse_many
{% endif -%}
from pydantic import Field, SecretStr, {% if rate_limited %}field_validator, {% endif %}model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

# Credentials that appear in examples and tutorials; production must not run with them.
_WELL_KNOWN_PASSWORDS = frozenset({"", "admin", "changeme", "change-me", "password", "secret"})
_MIN_DOCS_PASSWORD_LENGTH = 16


class Settings(BaseSettings):
    """Every knob of the service; `.env.example` lists each with its variable name."""

    model_config = SettingsConfigDict(
        env_prefix="APP_",
        env_file=".env",
        extra="ignore",
        validate_by_name=True,
        frozen=True,
    )

    service_name: str = "{{ cookiecutter.project_slug }}"
    environment: Environment = "development"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # None: JSON in production, human-readable console output elsewhere.
    log_json: bool | None = None

    docs_username: str | None = None
    docs_password: SecretStr | None = None

    # FastAPI's native OpenTelemetry (exporters via FASTAPI_OTEL_AUTO_CONFIGURE=true).
    opentelemetry: bool = False

    readiness_timeout_seconds: float = Field(default=1.0, gt=0, le=10)
    # New objects between young garbage collections while the app runs (CPython: 700),
    # with startup's objects frozen out of collections; 0 keeps CPython's defaults.
    gc_young_threshold: int = Field(default=10_000, ge=0)

    # --- What clients may send, and from where (security.py, limits.py) ---
    # Bodies over this are refused with 413 before they are read whole, chunked ones too.
    max_body_bytes: int = Field(default=1_048_576, ge=0)
    # Path and query together; the server's own bound is far higher (see the README).
    max_url_bytes: int = Field(default=8192, ge=256)
    max_header_count: int = Field(default=64, ge=8)
    max_header_bytes: int = Field(default=16_384, ge=1024)
    # Origins whose browser pages may call the API; empty: none (same-origin only).
    cors_origins: list[str] = Field(default_factory=list)
    # Host names the service answers to; required in production ("*": any host).
    allowed_hosts: list[str] = Field(default_factory=list)
{%- if cookiecutter.database == "postgres" %}

    database_url: SecretStr = Field(
        default=SecretStr("postgresql://postgres@127.0.0.1:5432/postgres"),
        validation_alias="DATABASE_URL",
    )
    db_pool_min_size: int = Field(default=2, ge=0)
    db_pool_max_size: int = Field(default=10, ge=1)
    # Connections idle longer than this are closed, so the pool follows failovers and
    # does not pin server memory.
    db_pool_max_inactive_seconds: float = Field(default=300.0, ge=0)
    db_pool_acquire_timeout_seconds: float = Field(default=2.0, gt=0)
    # A statement, or a `connection()`/`transaction()` block, running longer is a 503.
    db_command_timeout_seconds: float = Field(default=10.0, gt=0)
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    # 0 stops asyncpg from keeping prepared statements per connection: required behind
    # PgBouncer in transaction pooling mode.
    db_statement_cache_size: int = Field(default=100, ge=0)
    # Each worker waits up to this long before its first connection, so many starting at
    # once do not open theirs in one burst; then a server still starting is waited for.
    db_connect_jitter_seconds: float = Field(default=0.25, ge=0)
    db_startup_timeout_seconds: float = Field(default=30.0, gt=0)
    # The connection budget (db_budget.py): instances of the service at most (an autoscaler's
    # maximum), worker processes per instance, and connections kept free for everyone else.
    replicas: int = Field(default=1, ge=1)
    workers: int = Field(default=1, ge=1, validation_alias="WEB_CONCURRENCY")
    db_reserved_connections: int = Field(default=5, ge=0)
    # Keys that may write items (auth.py), as a JSON list; several allow rotation.
    api_keys: list[SecretStr] = Field(default_factory=list)
{%- endif %}
{%- if cookiecutter.cache != "none" %}

    cache_ttl_seconds: float = Field(default=30.0, gt=0)
    # Starts every key, so services (or test runs) can share one cache server.
    cache_key_prefix: str = "{{ cookiecutter.project_slug }}:"
    # After a cache failure, reads skip the cache this long: one timeout, not one per request.
    cache_bypass_seconds: float = Field(default=1.0, ge=0)
    # Readiness fails when a required cache is down; an optional one only reports "degraded"
    # while reads fall back to their source.
    cache_required: bool = False
{%- endif %}
{%- if cookiecutter.cache == "memory" %}
    cache_max_entries: int = Field(default=10_000, ge=1)
{%- endif %}
{%- if cookiecutter.cache == "redis" or cookiecutter.worker == "arq" %}
    redis_url: SecretStr = Field(
        default=SecretStr("redis://127.0.0.1:6379/0"), validation_alias="REDIS_URL"
    )
{%- endif %}
{%- if cookiecutter.cache == "redis" %}
    # Connecting and every reply: a slow cache costs this once, then reads skip it.
    redis_socket_timeout_seconds: float = Field(default=0.25, gt=0)
    # Connections per process; a burst beyond them waits for one, at most the wait below.
    redis_max_connections: int = Field(default=32, ge=1)
    redis_pool_wait_seconds: float = Field(default=1.0, gt=0)
{%- endif %}
{%- if rate_limited %}

    # Writes (POST, PUT, PATCH, DELETE) each client address may make, in `limits` notation:
    # "60/minute", "10/second", "1000/hour". Past it: 429 with Retry-After (rate_limit.py).
    rate_limit_enabled: bool = True
    rate_limit_writes: str = "60/minute"
    # After the counters could not be reached, writes go uncounted this long (fail-open).
    rate_limit_bypass_seconds: float = Field(default=1.0, ge=0)
{%- endif %}
{%- if cookiecutter.worker == "arq" %}

    # The queue's Redis key: services sharing one Redis need one each.
    worker_queue_name: str = "{{ cookiecutter.project_slug }}:jobs"
    worker_max_jobs: int = Field(default=10, ge=1)
    # A worker that dies mid-job leaves the job to another one this long (+10 s) after it began.
    worker_job_timeout_seconds: float = Field(default=60.0, gt=0)
    worker_max_tries: int = Field(default=5, ge=1)
    # Exponential backoff between tries: the first delay, doubled per try up to the maximum.
    worker_retry_delay_seconds: float = Field(default=1.0, gt=0)
    worker_retry_max_delay_seconds: float = Field(default=60.0, gt=0)
    # On SIGTERM, running jobs get this long to finish; the rest go back to the queue.
    worker_shutdown_grace_seconds: int = Field(default=10, ge=0)
    worker_health_check_seconds: float = Field(default=10.0, gt=0)
{%- if cookiecutter.use_metrics %}
    # The worker's own /metrics endpoint; 0 turns it off.
    worker_metrics_port: int = Field(default=9101, ge=0, le=65535)
{%- endif %}
    idempotency_key_ttl_seconds: float = Field(default=86_400.0, gt=0)
{%- endif %}
{%- if cookiecutter.use_http_client %}

    inventory_api_url: str = "https://inventory.example.com"
    http_connect_timeout_seconds: float = Field(default=2.0, gt=0)
    http_read_timeout_seconds: float = Field(default=5.0, gt=0)
    http_max_connections: int = Field(default=100, ge=1)
    http_max_keepalive_connections: int = Field(default=20, ge=0)
    # Retries cover connection failures only, where the request never reached the server.
    http_connect_retries: int = Field(default=2, ge=0, le=10)
    # Failures in a row that open an upstream's circuit, and how long it then stays open.
    http_breaker_failures: int = Field(default=5, ge=1)
    http_breaker_open_seconds: float = Field(default=30.0, gt=0)
{%- endif %}

{%- if cookiecutter.database == "postgres" %}

    @property
    def db_connections_wanted(self) -> int:
        """Connections every worker of every replica may hold at once."""
        return self.replicas * self.workers * self.db_pool_max_size
{%- endif %}

    @property
    def renders_json_logs(self) -> bool:
        """Whether log lines are JSON (production default) or console text."""
        if self.log_json is None:
            return self.environment == "production"
        return self.log_json

    @property
    def docs_protected(self) -> bool:
        """Whether the API docs require HTTP Basic credentials."""
        return self.docs_username is not None and self.docs_password is not None

    @property
    def docs_enabled(self) -> bool:
        """Docs are open in development and test, and behind credentials in production."""
        return self.environment != "production" or self.docs_protected

{%- if rate_limited %}

    @field_validator("rate_limit_writes")
    @classmethod
    def _parse_rate_limit(cls, value: str) -> str:
        # A ValueError that names the value when it is not a rate at all.
        if len(parse_many(value)) != 1:
            raise ValueError(f"give one rate, such as 60/minute, not {value!r}")
        return value
{%- endif %}

    @model_validator(mode="after")
    def _refuse_unsafe_values(self) -> Self:
        if (self.docs_username is None) != (self.docs_password is None):
            raise ValueError("set both APP_DOCS_USERNAME and APP_DOCS_PASSWORD, or neither")
{%- if cookiecutter.database == "postgres" %}
        if self.db_pool_min_size > self.db_pool_max_size:
            raise ValueError("APP_DB_POOL_MIN_SIZE must not exceed APP_DB_POOL_MAX_SIZE")
{%- endif %}
        if self.environment == "production":
            self._refuse_unsafe_production_values()
        return self

    def _refuse_unsafe_production_values(self) -> None:
        if self.docs_password is not None:
            password = self.docs_password.get_secret_value()
            if len(password) < _MIN_DOCS_PASSWORD_LENGTH or password in _WELL_KNOWN_PASSWORDS:
                raise ValueError(
                    f"APP_DOCS_PASSWORD must be at least {_MIN_DOCS_PASSWORD_LENGTH} characters"
                    " and not a well-known default in production"
                )
        if self.log_level == "DEBUG":
            raise ValueError("APP_LOG_LEVEL=DEBUG logs request details; not allowed in production")
        self._refuse_open_doors()

    def _refuse_open_doors(self) -> None:
        """Production names who may call it: its hosts, and the origins of browser callers."""
        if not self.allowed_hosts:
            raise ValueError(
                "set APP_ALLOWED_HOSTS in production, e.g. '[\"api.example.com\"]' ('[\"*\"]': any)"
            )
        if "*" in self.cors_origins:
            raise ValueError("APP_CORS_ORIGINS must name origins in production, not '*'")
{%- if cookiecutter.database == "postgres" %}
        if not self.api_keys:
            raise ValueError("set APP_API_KEYS in production: writes need a key, and none is set")
{%- endif %}
