"""Run a command next to the throwaway servers it needs: the engine of `make run`.

    python scripts/dev.py [--<server> ...] [--migrate CMD] -- <command...>

A server is started only for a URL the environment does not already set, so the same command
works against a real database too. The servers outlive the command's graceful shutdown and are
deleted when it ends; the exit code is the command's.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from types import FrameType
{% if cookiecutter.database == "postgres" or cookiecutter.cache == "redis" or cookiecutter.worker == "arq" %}
{% endif -%}
{% if cookiecutter.database == "postgres" -%}
import postgres_server
{% endif -%}
{% if cookiecutter.cache == "redis" or cookiecutter.worker == "arq" -%}
import redis_server
{% endif %}
SignalHandler = Callable[[int, FrameType | None], None]
Server = Callable[[], AbstractContextManager[str]]

# The throwaway servers this project can start: --flag -> (URL variable, server, label).
SERVERS: dict[str, tuple[str, Server, str]] = {}
# The servers a running dev.py started, for another one beside it (a second target next to
# `make run`): the owner's PID, then VARIABLE=url lines. Gone when the owner ends.
SHARED = Path(".dev-servers")
{%- if cookiecutter.database == "postgres" %}
SERVERS["postgres"] = ("DATABASE_URL", postgres_server.running_postgres, "PostgreSQL")
{%- endif %}
{%- if cookiecutter.cache == "redis" or cookiecutter.worker == "arq" %}
SERVERS["redis"] = ("REDIS_URL", redis_server.running_redis, "Redis")
{%- endif %}


def main(argv: Sequence[str] | None = None) -> int:
    """Start the requested servers, migrate, run the command and return its exit code."""
    args = _parse_args(argv)
    with ExitStack() as servers:
        env = _environment(args, servers)
        if args.migrate and (code := run(shlex.split(args.migrate), env)) != 0:
            return code
        return run(args.command, env)


def run(command: Sequence[str], env: Mapping[str, str]) -> int:
    """Run a command to its end with signals passed on; return a shell-style exit code."""
    try:
        child = subprocess.Popen(command, env=env)
    except FileNotFoundError:
        _log(f"command not found: {command[0]}")
        return 127
    with _forwarding_signals(child):
        code = child.wait()
    return 128 - code if code < 0 else code  # killed by signal N: 128 + N, as a shell reports


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/dev.py", description="Run a command next to throwaway servers."
    )
    for flag, (variable, _, label) in SERVERS.items():
        parser.add_argument(f"--{flag}", action="store_true", help=f"start {label} ({variable})")
    parser.add_argument("--migrate", metavar="CMD", help="run CMD first, e.g. the migrations")
    parser.add_argument("command", nargs="+", help="the command to run, after --")
    return parser.parse_args(argv)


def _environment(args: argparse.Namespace, servers: ExitStack) -> dict[str, str]:
    """Copy our environment, adding the URL of a server for each one not set.

    A server another run of this script started and still runs is used (so a command in a
    second terminal reaches the servers of `make run`); any other is started, and shared
    while we run.
    """
    env = dict(os.environ)
    shared = _shared_servers()
    started: dict[str, str] = {}
    for flag, (variable, server, label) in SERVERS.items():
        if not getattr(args, flag) or env.get(variable):
            continue
        if variable in shared:
            env[variable] = shared[variable]
            _log(f"{label} at {shared[variable]} (started by the dev.py that runs beside us)")
            continue
        env[variable] = started[variable] = url = servers.enter_context(server())
        _log(f"{label} running at {url} (throwaway: deleted on exit)")
    if started and not shared:
        _share(started, servers)
    return env


def _shared_servers() -> dict[str, str]:
    """The servers another run shares, by variable; none if it is gone."""
    try:
        owner, *lines = SHARED.read_text().splitlines()
        os.kill(int(owner), 0)  # signal 0: only asks whether the process is there
    except (OSError, ValueError):  # no file, a damaged one, or its owner has ended
        return {}
    return dict(line.split("=", 1) for line in lines if "=" in line)


def _share(started: Mapping[str, str], servers: ExitStack) -> None:
    """Publish the servers we started until they stop (the callback runs before they do)."""
    lines = [str(os.getpid()), *(f"{name}={url}" for name, url in started.items())]
    SHARED.write_text("\n".join(lines) + "\n")
    servers.callback(SHARED.unlink, missing_ok=True)


@contextmanager
def _forwarding_signals(child: subprocess.Popen[bytes]) -> Iterator[None]:
    """Pass SIGINT and SIGTERM on to the child while it runs, then restore our handlers."""
    forward = _forwarder(child)
    previous = {
        signum: signal.signal(signum, forward) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _forwarder(child: subprocess.Popen[bytes]) -> SignalHandler:
    # Ctrl-C at a terminal already reached the child, which shares our process group; a
    # second SIGINT would make uvicorn skip its graceful shutdown. Elsewhere it came to us
    # alone (uv run decides the same way, astral-sh/uv#13925).
    interactive = os.isatty(0)

    def forward(signum: int, _frame: FrameType | None) -> None:
        if not (signum == signal.SIGINT and interactive):
            child.send_signal(signum)

    return forward


def _log(message: str) -> None:
    sys.stderr.write(f"dev: {message}\n")


if __name__ == "__main__":
    sys.exit(main())
