"""PostgreSQL and Redis for the benchmark, started the way the baked project's tests start them.

The servers come from the bake's own `scripts/postgres_server.py` and `scripts/redis_server.py`
(imported through `sys.path`, as its tests do). One addition: PostgreSQL preloads
`pg_stat_statements`, which counts every statement the server executes; that is how the
harness tells how many queries a request costs (see README.md).
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Protocol

from bakes import Bake, clean_env, run

DATABASE = "bench"  # also named in _STATEMENTS_OF_APPS
STATEMENT_STATS = "pg_stat_statements"
# Statements run in the apps' database, except what asyncpg's pool runs when a connection goes
# back to it (`Connection.reset()`): not a query of the app.
_STATEMENTS_OF_APPS = r"""
SELECT coalesce(sum(s.calls), 0)
FROM pg_stat_statements AS s JOIN pg_database AS d ON d.oid = s.dbid
WHERE d.datname = 'bench'
  AND s.query !~* '^\s*(CLOSE ALL|UNLISTEN|RESET ALL|SELECT pg_advisory_unlock_all\(\))'
"""


class Server(Protocol):
    """What the baked `PostgresServer` and `RedisServer` offer."""

    @property
    def url(self) -> str: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class Psql:
    """Runs SQL through `psql`, which ships next to the server binaries."""

    executable: Path
    server_url: str

    def url(self, database: str) -> str:
        return f"{self.server_url.rpartition('/')[0]}/{database}"

    def query(self, sql: str, database: str = "postgres") -> str:
        """Run `sql` and return its unaligned, header-less output."""
        command = [str(self.executable), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
        return run([*command, "-d", self.url(database), "-c", sql]).strip()


@dataclass(frozen=True)
class Backends:
    """The running servers, and the database the apps use."""

    psql: Psql
    redis_url: str
    counts_statements: bool

    @property
    def database_url(self) -> str:
        return self.psql.url(DATABASE)

    def statements_executed(self) -> int | None:
        """Statements the apps have run so far (pool resets left out); None if not counted."""
        if not self.counts_statements:
            return None
        return int(self.psql.query(_STATEMENTS_OF_APPS))


@contextmanager
def running_backends(bake: Bake, *, cpus: set[int] | None = None) -> Iterator[Backends]:
    """Start Redis and PostgreSQL, create and migrate the database; stop both on exit.

    Redis only if the bake has it (its `scripts/redis_server.py`); else `redis_url` is empty.
    With `cpus`, both servers run on those CPUs only, and so does every process they start
    later (PostgreSQL forks a backend per connection): they inherit it.
    """
    scripts = bake.root / "scripts"
    postgres_module = _import_script(scripts, "postgres_server")
    has_redis = (scripts / "redis_server.py").is_file()
    with ExitStack() as stack:
        with _affinity(cpus):
            redis_url = _start_redis(stack, scripts) if has_redis else ""
            postgres, counts = _start_postgres(stack, postgres_module)
        psql = Psql(_find_psql(postgres_module), postgres.url)
        _create_database(psql, counts=counts)
        backends = Backends(psql, redis_url, counts)
        _migrate(bake, backends.database_url)
        yield backends


@contextmanager
def running_redis(bake: Bake, *, cpus: set[int] | None = None) -> Iterator[str]:
    """Start Redis alone from the bake's script (on `cpus`), yield its URL; stop it on exit."""
    with ExitStack() as stack:
        with _affinity(cpus):
            url = _start_redis(stack, bake.root / "scripts")
        yield url


@contextmanager
def _affinity(cpus: set[int] | None) -> Iterator[None]:
    """Run the block, and whatever it starts, on `cpus` (None: no change)."""
    if cpus is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def _import_script(scripts: Path, name: str) -> ModuleType:
    if str(scripts) not in sys.path:
        sys.path.insert(0, str(scripts))
    return importlib.import_module(name)


def _started(stack: ExitStack, server: Server) -> Server:
    stack.callback(server.stop)
    server.start()
    return server


def _start_redis(stack: ExitStack, scripts: Path) -> str:
    return _started(stack, _import_script(scripts, "redis_server").RedisServer()).url


def _start_postgres(stack: ExitStack, module: ModuleType) -> tuple[Server, bool]:
    """Start PostgreSQL with statement statistics; without them if that cannot be done."""
    settings = getattr(module, "SETTINGS", None)
    if isinstance(settings, dict):
        settings["shared_preload_libraries"] = STATEMENT_STATS
        try:
            return _started(stack, module.PostgresServer()), True
        except RuntimeError as exc:  # most likely the contrib module is not installed
            del settings["shared_preload_libraries"]
            reason = str(exc).splitlines()[0]
    else:
        reason = "postgres_server.SETTINGS is gone"
    print(f"note: {STATEMENT_STATS} unavailable ({reason}): queries not counted", file=sys.stderr)
    return _started(stack, module.PostgresServer()), False


def _find_psql(module: ModuleType) -> Path:
    bindir: Path = module.find_bindir()
    if (bindir / "psql").is_file():
        return bindir / "psql"
    if found := shutil.which("psql"):
        return Path(found)
    raise RuntimeError(f"psql was found neither in {bindir} nor on PATH")


def _create_database(psql: Psql, *, counts: bool) -> None:
    psql.query(f"CREATE DATABASE {DATABASE}")
    if counts:
        # The view lives in `postgres`, where the harness's own queries run: they are not
        # counted against the apps, which use DATABASE.
        psql.query(f"CREATE EXTENSION {STATEMENT_STATS}")


def _migrate(bake: Bake, database_url: str) -> None:
    """Apply the project's migrations as documented: `alembic upgrade head`."""
    env = clean_env(DATABASE_URL=database_url)
    run([str(bake.bin / "alembic"), "upgrade", "head"], cwd=bake.root, env=env)
