"""Run a command next to the throwaway servers it needs: the engine of `make run`.

    python scripts/dev.py [--<server> ...] [--migrate CMD] -- <command...>

The command sees `.env` as the app does: its variables are added to the environment, and real
environment variables win. A server is started only for a URL neither of them sets, so the same
command works against a real database too; its binaries are installed first if they are missing
(scripts/system_deps.py). The servers outlive the command's graceful shutdown and are deleted
when it ends; the exit code is the command's.
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

from dotenv import dotenv_values

{% if cookiecutter.database == "postgres" -%}
import postgres_server
{% endif -%}
{% if cookiecutter.cache == "redis" or cookiecutter.worker == "arq" -%}
import redis_server
{% endif -%}
import system_deps

ENV_FILE = Path(".env")  # where the app's settings look for it: the working directory
# The servers a running dev.py started, for another one beside it (a second target next to
# `make run`): the owner's PID, then VARIABLE=url lines. Gone when the owner ends.
SHARED = Path(".dev-servers")
SignalHandler = Callable[[int, FrameType | None], None]
Server = Callable[[], AbstractContextManager[str]]

# The throwaway servers this project can start: --flag -> (URL variable, server, label).
SERVERS: dict[str, tuple[str, Server, str]] = {}
{%- if cookiecutter.database == "postgres" %}
SERVERS["postgres"] = ("DATABASE_URL", postgres_server.running_postgres, "PostgreSQL")
{%- endif %}
{%- if cookiecutter.cache == "redis" or cookiecutter.worker == "arq" %}
SERVERS["redis"] = ("REDIS_URL", redis_server.running_redis, "Redis")
{%- endif %}


def main(argv: Sequence[str] | None = None) -> int:
    """Start the requested servers, migrate, run the command and return its exit code."""
    args = _parse_args(argv)
    env = {**_dotenv(), **os.environ}
    shared = _shared_servers()
    wanted = _wanted(args, env)
    try:
        system_deps.ensure([flag for flag in wanted if SERVERS[flag][0] not in shared])
    except system_deps.CannotInstallError as exc:
        _log(str(exc))
        return 1
    with ExitStack() as servers:
        _start_servers(wanted, env, shared, servers)
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


def _dotenv() -> dict[str, str]:
    """The variables `.env` sets, parsed by the library the app's settings use."""
    return {name: value for name, value in dotenv_values(ENV_FILE).items() if value is not None}


def _wanted(args: argparse.Namespace, env: Mapping[str, str]) -> list[str]:
    """The requested servers whose URL the environment (with `.env`) leaves unset."""
    return [
        flag
        for flag, (variable, _, _) in SERVERS.items()
        if getattr(args, flag) and not env.get(variable)
    ]


def _start_servers(
    flags: Sequence[str], env: dict[str, str], shared: Mapping[str, str], servers: ExitStack
) -> None:
    """Set each server's URL in `env`: one another dev.py shares, or one started here.

    A command in a second terminal so reaches the servers of `make run`;
    the servers started here are shared while they run, and `servers` stops them.
    """
    started: dict[str, str] = {}
    for flag in flags:
        variable, server, label = SERVERS[flag]
        if variable in shared:
            env[variable] = shared[variable]
            _log(f"{label} at {shared[variable]} (started by the dev.py that runs beside us)")
            continue
        env[variable] = started[variable] = url = servers.enter_context(server())
        _log(f"{label} running at {url} (throwaway: deleted on exit)")
    if started and not shared:
        _share(started, servers)


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
