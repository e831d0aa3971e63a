"""Prune the files that belong only to features the answers switched off.

One table drives the pruning: each entry names the answers that keep its paths
(one set of option values, or several alternatives) and the paths that belong only
to them. The template's tests import this
module and use the same table as their oracle, so Jinja stays inside string
literals and the module imports cleanly without being rendered.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ANSWERS: dict[str, str] = {
    "database": "{{ cookiecutter.database }}",
    "cache": "{{ cookiecutter.cache }}",
    "use_metrics": "{{ cookiecutter.use_metrics }}",
    "use_http_client": "{{ cookiecutter.use_http_client }}",
    "worker": "{{ cookiecutter.worker }}",
    "rate_limit": "{{ cookiecutter.rate_limit }}",
    "ci": "{{ cookiecutter.ci }}",
    "deploy": "{{ cookiecutter.deploy }}",
    "license": "{{ cookiecutter.license }}",
    "package_name": "{{ cookiecutter.package_name }}",
}

PKG = "src/{package_name}"

# A condition: every (option, values) pair must hold, i.e. the answer is one of the values.
Condition = tuple[tuple[str, frozenset[str]], ...]
# A rule: its paths are kept when any one of its conditions holds.
Rule = tuple[Condition, ...]


def when(**options: set[str]) -> Rule:
    """The rule that each named option's answer is one of the given values."""
    return (tuple(sorted((option, frozenset(values)) for option, values in options.items())),)


def either(*rules: Rule) -> Rule:
    """The rule that holds when any of the given rules does."""
    return tuple(condition for rule in rules for condition in rule)


def holds(rule: Rule, answers: dict[str, str]) -> bool:
    """Whether the answers meet every part of at least one of the rule's conditions."""
    return any(all(answers[option] in values for option, values in condition) for condition in rule)


# `auto` turns rate limits on where they can be shared: with the Redis cache.
RATE_LIMITED = either(when(rate_limit={"on"}), when(rate_limit={"auto"}, cache={"redis"}))

# Rule for keeping them -> paths relative to the project root, owned by that rule.
OWNED_PATHS: dict[Rule, tuple[str, ...]] = {
    when(database={"postgres"}): (
        "alembic.ini",
        "migrations",
        "scripts/postgres_server.py",
        "scripts/pgbouncer_server.py",
        f"{PKG}/db.py",
        f"{PKG}/db_budget.py",
        f"{PKG}/auth.py",
        f"{PKG}/api/items",
        "tests/fixtures_postgres.py",
        "tests/test_items.py",
        "tests/test_items_list.py",
        "tests/test_items_input.py",
        "tests/test_auth.py",
        "tests/test_sql_injection.py",
        "tests/api_key.py",
        "tests/test_db_pool.py",
        "tests/test_db_startup.py",
        "tests/test_db_budget.py",
        "tests/test_db_outage.py",
        "tests/test_pgbouncer.py",
        "tests/test_migrations.py",
    ),
    when(cache={"redis", "memory"}): (
        f"{PKG}/cache",
        "tests/cached_routes.py",
        "tests/test_cache_reads.py",
    ),
    when(cache={"redis", "memory"}, database={"postgres"}): ("tests/test_cached_items.py",),
    when(cache={"redis", "memory"}, use_http_client={"True"}): ("tests/test_cached_stock.py",),
    when(cache={"redis", "memory"}, use_metrics={"True"}): ("tests/test_cache_metrics.py",),
    when(cache={"memory"}): (
        f"{PKG}/cache/memory.py",
        "tests/test_cache_memory.py",
    ),
    when(cache={"redis"}): (
        f"{PKG}/cache/redis.py",
        "tests/test_cache_redis.py",
    ),
    # The worker's queue lives in Redis, whatever the cache.
    either(when(cache={"redis"}), when(worker={"arq"})): (
        "scripts/redis_server.py",
        "tests/fixtures_redis.py",
    ),
    # A server that never answers: a hung Redis or upstream.
    either(when(cache={"redis"}), when(worker={"arq"}), when(use_http_client={"True"})): (
        "tests/silent_server.py",
    ),
    when(worker={"arq"}): (
        f"{PKG}/jobs",
        f"{PKG}/idempotency",
        f"{PKG}/api/orders",
        "tests/jobs.py",
        "tests/test_orders.py",
        "tests/test_order_jobs.py",
        "tests/test_idempotency_keys.py",
        "tests/test_worker_shutdown.py",
    ),
    when(worker={"arq"}, database={"postgres"}): (
        "migrations/versions/0002_orders_and_idempotency_keys.py",
        f"{PKG}/idempotency/postgres.py",
        f"{PKG}/api/orders/records.py",
        f"{PKG}/jobs/housekeeping.py",
        "tests/test_order_records.py",
        "tests/test_idempotency_purge.py",
    ),
    # Without a database the keys are kept in the queue's Redis.
    when(worker={"arq"}, database={"none"}): (f"{PKG}/idempotency/redis.py",),
    when(worker={"arq"}, use_http_client={"True"}): (
        f"{PKG}/api/orders/reservations.py",
        "tests/test_order_reservations.py",
    ),
    when(worker={"arq"}, use_metrics={"True"}): (
        f"{PKG}/jobs/metrics.py",
        "tests/test_job_metrics.py",
    ),
    RATE_LIMITED: (f"{PKG}/rate_limit.py", "tests/test_rate_limit.py"),
    when(rate_limit={"on", "auto"}, cache={"redis"}): ("tests/test_rate_limit_redis.py",),
    when(use_metrics={"True"}): (
        f"{PKG}/metrics.py",
        "tests/test_metrics.py",
        "tests/test_metrics_workers.py",
    ),
    when(use_http_client={"True"}): (
        f"{PKG}/clients",
        f"{PKG}/api/stock",
        "tests/test_stock.py",
    ),
    when(ci={"github"}): (".github",),
    when(deploy={"kubernetes"}): ("deploy", "tests/test_deploy.py"),
    when(deploy={"kubernetes"}, database={"postgres"}): ("deploy/kubernetes/migrate",),
    when(deploy={"kubernetes"}, worker={"arq"}): ("deploy/kubernetes/worker.yaml",),
    when(license={"MIT", "Apache-2.0"}): ("LICENSE",),
}


def paths_to_remove(answers: dict[str, str]) -> list[str]:
    """Return the owned paths whose feature the answers switched off."""
    package = {"package_name": answers["package_name"]}
    return [
        path.format(**package)
        for rule, paths in OWNED_PATHS.items()
        if not holds(rule, answers)
        for path in paths
    ]


def remove(root: Path, relative: str) -> None:
    """Delete one owned path; a missing one means the table drifted from the template."""
    target = root / relative
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()
    elif not target.parent.exists():
        return  # an enclosing owned folder was removed first
    else:
        raise FileNotFoundError(f"pruning table names {relative!r}, which the template lacks")


def main() -> int:
    root = Path.cwd()
    try:
        for relative in paths_to_remove(ANSWERS):
            remove(root, relative)
    except FileNotFoundError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
