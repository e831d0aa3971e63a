"""A throwaway PgBouncer in transaction pooling mode, in front of a PostgreSQL server.

The service supports PgBouncer's transaction mode (`APP_DB_STATEMENT_CACHE_SIZE=0`); the
tests prove it against the real thing, the way production runs it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from throwaway import ThrowawayServer, free_port

INSTALL_HINT = (
    "PgBouncer was not found. Install it with `apt-get install pgbouncer` (Debian/Ubuntu) or "
    "`brew install pgbouncer` (macOS), or point PGBOUNCER at the binary."
)
CANDIDATES = ("/usr/sbin/pgbouncer", "/opt/homebrew/bin/pgbouncer", "/usr/local/bin/pgbouncer")
START_TIMEOUT_SECONDS = 10.0
# Few server connections, so concurrent transactions really do share them.
POOL_SIZE = 2


class PgBouncerNotFoundError(RuntimeError):
    """No PgBouncer binary on this machine."""


def find_pgbouncer() -> Path:
    """PGBOUNCER, then PATH, then the usual install locations."""
    if override := os.environ.get("PGBOUNCER"):
        if Path(override).is_file():
            return Path(override)
        raise PgBouncerNotFoundError(f"PGBOUNCER={override} is not a file")
    for candidate in (shutil.which("pgbouncer"), *CANDIDATES):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise PgBouncerNotFoundError(INSTALL_HINT)


def _config(target: str, port: int, home: Path) -> str:
    server = urlsplit(target)
    return f"""\
[databases]
* = host={server.hostname} port={server.port} user={server.username}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = {POOL_SIZE}
logfile = {home / "pgbouncer.log"}
"""


class PgBouncerServer(ThrowawayServer):
    """PgBouncer on a free port, forwarding every database to the server at `target`."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._port = 0
        self._home: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The target's URL, with PgBouncer's address instead of the server's."""
        target = urlsplit(self.target)
        return target._replace(netloc=f"{target.username}@127.0.0.1:{self._port}").geturl()

    @property
    def running(self) -> bool:
        return self._process is not None

    def _launch(self) -> None:
        binary = find_pgbouncer()
        # PgBouncer refuses to run as root: root runs it as the server's own account.
        account = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        # Under /tmp: a private TMPDIR (pytest's, as root) would lock the account out.
        self._home = Path(tempfile.mkdtemp(prefix="pgbouncer-", dir="/tmp"))
        self._port = free_port()
        ini = self._home / "pgbouncer.ini"
        ini.write_text(_config(self.target, self._port, self._home))
        if account is not None:
            for path in (self._home, ini):
                os.chown(path, account.pw_uid, account.pw_gid)
        self._process = subprocess.Popen(
            [str(binary), "--quiet", str(ini)],
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            extra_groups=[] if account else None,
            cwd=self._home,
        )

    def _bring_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {self._log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self._port), timeout=1).close()
            except OSError:
                time.sleep(0.05)
            else:
                return
        raise RuntimeError(f"pgbouncer did not listen within {START_TIMEOUT_SECONDS:g} s")

    def _shut_down(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            process.wait(timeout=START_TIMEOUT_SECONDS)
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)

    def _log_tail(self) -> str:
        log = self._home / "pgbouncer.log" if self._home else None
        return log.read_text()[-2000:] if log and log.is_file() else "(no log)"
