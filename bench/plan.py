"""What is measured: the apps, the requests sent to each, and the comparisons drawn.

Two bakes of the template: `default` (all on: PostgreSQL, Redis cache, metrics, HTTP client)
and `nocache` (cache=none, so reads go to the database). Two baselines from `baselines/` run
in the default bake's venv, with the same uvicorn flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from apps import AppSpec
from backends import Backends
from bakes import Bake, Variant

BASELINES = Path(__file__).resolve().parent / "baselines"
ITEM = "/api/v1/items/{item_id}"
ITEMS = "/api/v1/items"
LIST = f"{ITEMS}?limit=50"

VARIANTS = (
    Variant("default"),
    Variant("nocache", {"cache": "none"}),
)

# live: answers {"status": "ok"}; uncached: 200 without X-Cache; cache-hit: X-Cache: hit.
Expect = Literal["live", "uncached", "cache-hit"]


@dataclass(frozen=True)
class Scenario:
    key: str
    request: str
    app: str
    path: str
    expect: Expect


SCENARIOS = (
    Scenario("bare_live", "GET /health/live", "bare", "/health/live", "live"),
    Scenario("service_live", "GET /health/live", "service", "/health/live", "live"),
    Scenario("asyncpg_read", "GET item by id", "asyncpg", ITEM, "uncached"),
    Scenario("db_read", "GET item by id (database)", "service-nocache", ITEM, "uncached"),
    Scenario("cached_read", "GET item by id (cache hit)", "service", ITEM, "cache-hit"),
    Scenario("db_list", "GET items?limit=50 (database)", "service-nocache", LIST, "uncached"),
    Scenario("cached_list", "GET items?limit=50 (cache hit)", "service", LIST, "cache-hit"),
)
APPS = ("bare", "service", "service-nocache", "asyncpg")


@dataclass(frozen=True)
class Comparison:
    """`scenario` req/s over `baseline` req/s, paired within each repetition."""

    scenario: str
    baseline: str
    baseline_label: str
    description: str
    target: float | None


COMPARISONS = (
    Comparison("service_live", "bare_live", "bare", "/health/live vs bare FastAPI", 0.75),
    Comparison("db_read", "asyncpg_read", "asyncpg", "database read vs minimal asyncpg", 0.80),
    Comparison("cached_list", "db_list", "database", "cached list vs database list", 3.0),
    Comparison("cached_read", "db_read", "database", "cached item vs database item", None),
)
# The service whose startup and memory have targets: the default (all-on) bake.
TARGET_APP = "service"
STARTUP_TARGET_SECONDS = 1.5
RSS_TARGET_MB = 90.0


def app_specs(
    bakes: dict[str, Bake], backends: Backends, item_id: int, item_sql: str
) -> dict[str, AppSpec]:
    """Every app of the benchmark by name."""
    default = bakes["default"]
    services = {
        "service": service_spec(default, backends),
        "service-nocache": service_spec(
            bakes["nocache"], backends, name="service-nocache", label="cache=none"
        ),
    }
    baselines = {
        "bare": bare_spec(default),
        "asyncpg": asyncpg_spec(default, backends, item_id, item_sql),
    }
    return {**baselines, **services}


# The key the seeding client writes items with (the service requires one in production).
API_KEY = "bench-key-0123456789abcdef"


def service_spec(
    bake: Bake, backends: Backends, *, name: str = "service", label: str = "default bake"
) -> AppSpec:
    """The baked service with its production settings, as `make serve` runs it."""
    env = {
        "APP_ENVIRONMENT": "production",
        "APP_LOG_JSON": "true",
        "APP_ALLOWED_HOSTS": '["127.0.0.1"]',
        "APP_API_KEYS": f'["{API_KEY}"]',  # production requires one; seeding writes with it
        "DATABASE_URL": backends.database_url,
        "REDIS_URL": backends.redis_url,  # ignored by the bakes without Redis
    }
    return AppSpec(
        name=name,
        label=f"service, {label}",
        cwd=bake.root,
        bin=bake.bin,
        target=(f"{bake.package}.main:create_app", "--factory"),
        ready_path="/health/ready",
        env=env,
        metrics_dir=(bake.root / "src" / bake.package / "metrics.py").is_file(),
        json_logs=True,
    )


def bare_spec(bake: Bake) -> AppSpec:
    """Bare FastAPI, its defaults and one route: the `/health/live` baseline."""
    return baseline_spec(bake, "bare", "bare FastAPI", "bare_fastapi", "/health/live", {})


def asyncpg_spec(bake: Bake, backends: Backends, item_id: int, item_sql: str) -> AppSpec:
    """The minimal FastAPI + asyncpg endpoint running `item_sql`: the database read's baseline."""
    env = {"DATABASE_URL": backends.database_url, "BENCH_ITEM_SQL": item_sql}
    return baseline_spec(
        bake,
        "asyncpg",
        "minimal FastAPI + asyncpg",
        "minimal_asyncpg",
        ITEM.format(item_id=item_id),
        env,
    )


def baseline_spec(
    bake: Bake, name: str, label: str, module: str, ready_path: str, env: dict[str, str]
) -> AppSpec:
    return AppSpec(
        name=name,
        label=label,
        cwd=BASELINES,
        bin=bake.bin,
        target=(f"{module}:app", "--app-dir", str(BASELINES)),
        ready_path=ready_path,
        env=env,
    )
