"""Find the server binaries the tests and `make run` need, or install them.

    python scripts/system_deps.py [SERVER ...]

A server whose binaries are found needs nothing. The missing ones are installed with the
machine's package manager when that needs no question: apt-get as root, or through sudo when
it asks for no password; Homebrew. Otherwise one line says what to run, and the exit code is 1,
before a test or the app tries to start a server that is not there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
{% if cookiecutter.database == "postgres" or cookiecutter.cache == "redis" or cookiecutter.worker == "arq" %}
{% endif -%}
{% if cookiecutter.database == "postgres" -%}
import pgbouncer_server
import postgres_server
{% endif -%}
{% if cookiecutter.cache == "redis" or cookiecutter.worker == "arq" -%}
import redis_server
{% endif %}

@dataclass(frozen=True)
class Binaries:
    """A server's binaries: how to find them and which packages hold them."""

    label: str
    find: Callable[[], Path]
    override: str  # the variable naming them explicitly: never installed over
    apt: str
    brew: str


# The servers this project can start, by the name `make` and scripts/dev.py use.
BINARIES: dict[str, Binaries] = {}
{%- if cookiecutter.database == "postgres" %}
BINARIES["postgres"] = Binaries(
    "PostgreSQL server", postgres_server.find_bindir, "PG_BINDIR", "postgresql", "postgresql@17"
)
BINARIES["pgbouncer"] = Binaries(
    "PgBouncer", pgbouncer_server.find_pgbouncer, "PGBOUNCER", "pgbouncer", "pgbouncer"
)
{%- endif %}
{%- if cookiecutter.cache == "redis" or cookiecutter.worker == "arq" %}
BINARIES["redis"] = Binaries(
    "Redis server", redis_server.find_redis_server, "REDIS_SERVER", "redis-server", "redis"
)
{%- endif %}


APT_WAIT = ("--option", "DPkg::Lock::Timeout=600")


class CannotInstallError(RuntimeError):
    """Binaries are missing and installing them would need a person."""


def main(argv: Sequence[str] | None = None) -> int:
    """Ensure the named servers' binaries; print one line and return 1 if that fails."""
    parser = argparse.ArgumentParser(prog="scripts/system_deps.py", description=__doc__)
    parser.add_argument("servers", nargs="*", choices=sorted(BINARIES), metavar="SERVER")
    try:
        ensure(parser.parse_args(argv).servers)
    except CannotInstallError as exc:
        sys.stderr.write(f"ERROR: {exc}\n")
        return 1
    return 0


def ensure(servers: Sequence[str]) -> None:
    """Install the binaries of the named servers that are missing, or raise saying how."""
    missing = [BINARIES[name] for name in servers if not _found(BINARIES[name])]
    if not missing:
        return
    for command in _install_commands(missing):
        _log(f"{_labels(missing)} not found; installing: {' '.join(command)}")
        if subprocess.run(command, check=False).returncode != 0:
            raise CannotInstallError(f"`{' '.join(command)}` failed (see above)")
    if still := [binaries for binaries in missing if not _found(binaries)]:
        raise CannotInstallError(f"{_labels(still)} still not found after installing")


def _found(binaries: Binaries) -> bool:
    """Whether the binaries are there; an explicit override that is wrong is an error."""
    try:
        binaries.find()
    except RuntimeError as exc:
        if os.environ.get(binaries.override):
            raise CannotInstallError(str(exc)) from None
        return False
    return True


def _install_commands(missing: Sequence[Binaries]) -> list[list[str]]:
    """Pick the package manager and return its commands, or raise with what to run."""
    apt = [binaries.apt for binaries in missing]
    if shutil.which("apt-get"):
        hint = f"{_labels(missing)} not found; run: sudo apt-get install {' '.join(apt)}"
        sudo = _sudo_prefix(hint)
        # Configuration questions (a time zone, say) would wait on a terminal, and another
        # install running (a parallel test run's) holds the lock for a while.
        apt_get = [*sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", *APT_WAIT]
        return [
            [*apt_get, "update"],
            [*apt_get, "install", "--yes", "--no-install-recommends", *apt],
        ]
    if shutil.which("brew"):
        return [["brew", "install", *(binaries.brew for binaries in missing)]]
    raise CannotInstallError(
        f"{_labels(missing)} not found; install {', '.join(apt)} with your package manager"
    )


def _sudo_prefix(hint: str) -> list[str]:
    """Root needs no prefix; others need sudo that will not ask for a password."""
    if os.geteuid() == 0:
        return []
    sudo = shutil.which("sudo")
    # -n: fail at once instead of prompting (CI has no terminal; a prompt would hang it).
    if sudo is None or subprocess.run([sudo, "-n", "true"], capture_output=True).returncode:
        raise CannotInstallError(hint)
    return [sudo, "-n"]


def _labels(missing: Sequence[Binaries]) -> str:
    return " and ".join(binaries.label for binaries in missing)


def _log(message: str) -> None:
    sys.stderr.write(f"system-deps: {message}\n")


if __name__ == "__main__":
    sys.exit(main())
