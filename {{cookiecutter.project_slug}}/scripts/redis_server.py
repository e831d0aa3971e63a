"""Throwaway Redis servers for tests and `make run`, without Docker.

`redis-server` starts in milliseconds, so a test session gets its own on a free port with
persistence off. The port is chosen once per `RedisServer`: `stop()` then `start()` brings the
server back at the same URL, which is how tests take Redis away mid-test and prove the service
keeps answering without it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from throwaway import ThrowawayServer, free_port

INSTALL_HINT = (
    "redis-server was not found. Install it with `apt-get install redis-server` (Debian/Ubuntu) "
    "or `brew install redis` (macOS), point REDIS_SERVER at it, or set TEST_REDIS_URL / "
    "REDIS_URL to an existing server."
)
COMMON_DIRS = (Path("/usr/bin"), Path("/usr/local/bin"), Path("/opt/homebrew/bin"))
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
PING = b"*1\r\n$4\r\nPING\r\n"


class RedisNotFoundError(RuntimeError):
    """No redis-server executable was found on this machine."""


def find_redis_server() -> Path:
    """Return the path of the redis-server executable."""
    if override := os.environ.get("REDIS_SERVER"):
        # An explicit choice that is wrong must fail loudly, not fall back to another build.
        if not Path(override).is_file():
            raise RedisNotFoundError(f"REDIS_SERVER={override} is not a file")
        return Path(override)
    found = shutil.which("redis-server")
    candidates = [Path(found)] if found else []
    candidates += [directory / "redis-server" for directory in COMMON_DIRS]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise RedisNotFoundError(INSTALL_HINT)


def _answers_ping(port: int) -> bool:
    """Tell whether a Redis server on the port answers PING, in RESP over a raw socket."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(PING)
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _log_tail(home: Path) -> str:
    log = home / "redis.log"
    return f":\n{log.read_text()[-2000:]}" if log.is_file() else ""


class RedisServer(ThrowawayServer):
    """A private Redis on a port fixed at construction, so a restart keeps its URL."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._home: Path | None = None

    @property
    def url(self) -> str:
        """Return the URL of database 0 on this server."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None

    def _launch(self) -> None:
        self._home = Path(tempfile.mkdtemp(prefix="redis-"))
        self._process = self._spawn(find_redis_server(), self._home)

    def _bring_up(self) -> None:
        if self._process is None or self._home is None:
            raise RuntimeError("redis-server was not launched")
        self._wait_until_ready(self._process, self._home)

    def _shut_down(self) -> None:
        """Terminate the server and delete its directory."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        home, self._home = self._home, None
        if home is not None:
            shutil.rmtree(home)

    def _spawn(self, executable: Path, home: Path) -> subprocess.Popen[bytes]:
        """Start redis-server in the foreground, its output going to a log file in `home`."""
        command = [str(executable), "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", str(home)]
        with (home / "redis.log").open("wb") as log:
            # A session of its own keeps a Ctrl-C meant for `make run` away from the server,
            # which must outlive the app's graceful shutdown.
            return subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
            )

    def _wait_until_ready(self, process: subprocess.Popen[bytes], home: Path) -> None:
        """Poll with PING until the server answers; fail fast if it exits instead."""
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers_ping(self.port):
            if process.poll() is not None:
                raise RuntimeError(
                    f"redis-server exited with {process.returncode}{_log_tail(home)}"
                )
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"redis-server did not answer in {START_TIMEOUT} s{_log_tail(home)}"
                )
            time.sleep(0.005)


@contextmanager
def running_redis() -> Iterator[str]:
    """Run a throwaway server for the duration of the block and yield its URL."""
    with RedisServer() as server:
        yield server.url
