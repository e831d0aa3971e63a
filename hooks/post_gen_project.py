"""Prune the files that belong only to features the answers switched off.

One table drives the pruning: each entry names an option, the values that keep
its paths, and the paths that belong only to it. The template's tests import this
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
    "ci": "{{ cookiecutter.ci }}",
    "deploy": "{{ cookiecutter.deploy }}",
    "license": "{{ cookiecutter.license }}",
    "package_name": "{{ cookiecutter.package_name }}",
}

PKG = "src/{package_name}"

# A condition: every (option, values) pair must hold, i.e. the answer is one of the values.
Condition = tuple[tuple[str, frozenset[str]], ...]


def when(**options: set[str]) -> Condition:
    """The condition that each named option's answer is one of the given values."""
    return tuple(sorted((option, frozenset(values)) for option, values in options.items()))


def holds(condition: Condition, answers: dict[str, str]) -> bool:
    """Whether the answers meet every part of the condition."""
    return all(answers[option] in values for option, values in condition)


# Condition for keeping them -> paths relative to the project root, owned by that condition.
OWNED_PATHS: dict[Condition, tuple[str, ...]] = {
    when(database={"postgres"}): (
        "alembic.ini",
        "migrations",
        "scripts/postgres_server.py",
        f"{PKG}/db.py",
        f"{PKG}/api/items",
        "tests/fixtures_postgres.py",
        "tests/test_items.py",
        "tests/test_items_list.py",
        "tests/test_db_pool.py",
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
        f"{PKG}/cache/resp.py",
        "scripts/redis_server.py",
        "tests/fixtures_redis.py",
        "tests/test_cache_redis.py",
        "tests/test_cache_resp.py",
    ),
    when(use_metrics={"True"}): (
        f"{PKG}/metrics.py",
        "tests/test_metrics.py",
    ),
    when(use_http_client={"True"}): (
        f"{PKG}/clients",
        f"{PKG}/api/stock",
        "tests/test_stock.py",
    ),
    when(ci={"github"}): (".github",),
    when(deploy={"kubernetes"}): ("deploy", "tests/test_deploy.py"),
    when(deploy={"kubernetes"}, database={"postgres"}): ("deploy/kubernetes/migrate",),
    when(license={"MIT", "Apache-2.0"}): ("LICENSE",),
}


def paths_to_remove(answers: dict[str, str]) -> list[str]:
    """Return the owned paths whose feature the answers switched off."""
    package = {"package_name": answers["package_name"]}
    return [
        path.format(**package)
        for condition, paths in OWNED_PATHS.items()
        if not holds(condition, answers)
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
