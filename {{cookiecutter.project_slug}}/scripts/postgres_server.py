"""Throwaway PostgreSQL servers for tests and `make run`, without Docker.

Tests need a real PostgreSQL, and a container engine is not always there (CI runners,
sandboxes, laptops without Docker). `initdb` plus `pg_ctl` on a free port, with durability
switched off, give a private server in about a second; it lives in a temporary directory that
`stop()` deletes.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from throwaway import ThrowawayServer, free_port

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found. Install them with "
    "`apt-get install postgresql` (Debian/Ubuntu) or `brew install postgresql@17` (macOS), "
    "point PG_BINDIR at their directory, or set TEST_DATABASE_URL / DATABASE_URL to an "
    "existing server."
)
SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")
# (root, pattern) of versioned installs: Debian/Ubuntu, then Homebrew on Apple silicon and Intel.
VERSIONED_BINDIRS = (
    ("/usr/lib/postgresql", "*/bin"),
    ("/opt/homebrew/opt", "postgresql@*/bin"),
    ("/usr/local/opt", "postgresql@*/bin"),
)
# Durability is wasted on a database that is deleted afterwards, and it costs seconds per run.
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}
# Trust is safe: the server listens on loopback and a socket directory only its owner can enter.
# --no-sync skips flushing the new cluster to disk, most of initdb's time.
INITDB_OPTIONS = (
    "--username=postgres",
    "--auth=trust",
    "--encoding=UTF8",
    "--locale=C",
    "--no-sync",
)
COMMAND_TIMEOUT = 60


class PostgresNotFoundError(RuntimeError):
    """No usable PostgreSQL server installation was found on this machine."""


def find_bindir() -> Path:
    """Return the directory holding PostgreSQL's server binaries."""
    if override := os.environ.get("PG_BINDIR"):
        # An explicit choice that is wrong must fail loudly, not fall back to another version.
        if not _has_server_binaries(Path(override)):
            raise PostgresNotFoundError(f"PG_BINDIR={override} lacks initdb, pg_ctl or postgres")
        return Path(override)
    for candidate in _candidate_bindirs():
        if _has_server_binaries(candidate):
            return candidate
    raise PostgresNotFoundError(INSTALL_HINT)


def _candidate_bindirs() -> Iterator[Path]:
    """Yield the places PostgreSQL is usually installed, most specific first."""
    for name in ("initdb", "pg_ctl"):
        if found := shutil.which(name):
            # Debian links some tools into /usr/local/bin; the link's target has all of them.
            yield Path(found).resolve().parent
    if bindir := _pg_config_bindir():
        yield bindir
    for root, pattern in VERSIONED_BINDIRS:
        yield from sorted(Path(root).glob(pattern), key=_version, reverse=True)
    yield Path("/opt/homebrew/bin")


def _pg_config_bindir() -> Path | None:
    """Ask pg_config, which knows custom builds but may only describe the client libraries."""
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    result = subprocess.run(
        [pg_config, "--bindir"], capture_output=True, text=True, check=False, timeout=10
    )
    return Path(result.stdout.strip()) if result.returncode == 0 else None


def _version(bindir: Path) -> tuple[int, ...]:
    """Read the version from `.../15/bin` or `.../postgresql@17/bin` so the newest sorts last."""
    return tuple(int(number) for number in re.findall(r"\d+", bindir.parent.name))


def _has_server_binaries(bindir: Path) -> bool:
    return all((bindir / name).is_file() for name in SERVER_BINARIES)


def _server_account() -> pwd.struct_passwd | None:
    """Return the account to run the server as: initdb refuses root, so root uses `postgres`."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresNotFoundError(
            "initdb refuses to run as root and there is no 'postgres' user to run it as: "
            "create one (`useradd --system postgres`), run as a normal user, or set "
            "TEST_DATABASE_URL / DATABASE_URL to an existing server."
        ) from None


def _make_home(account: pwd.struct_passwd | None) -> Path:
    """Create the cluster's private directory, owned by the account that runs the server."""
    home = Path(tempfile.mkdtemp(prefix="pg-", dir=_reachable_tempdir(account)))
    if account is not None:
        os.chown(home, account.pw_uid, account.pw_gid)
    return home


def _reachable_tempdir(account: pwd.struct_passwd | None) -> str:
    """Return the temp root, unless the server account could not get through to it."""
    root = Path(tempfile.gettempdir())
    if account is None or all(path.stat().st_mode & stat.S_IXOTH for path in (root, *root.parents)):
        return str(root)
    # A TMPDIR inside a private directory (pytest's tmp_path, as root) locks `postgres` out.
    return "/tmp"  # noqa: S108 - mkdtemp still makes a private directory inside it


@dataclass(frozen=True)
class _Cluster:
    """One data directory, the port it serves on, and the binaries and account that run it."""

    bindir: Path
    home: Path
    port: int
    account: pwd.struct_passwd | None

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def log(self) -> Path:
        return self.home / "server.log"

    def create(self) -> None:
        """Initialise the data directory and append our settings to its configuration."""
        self._run("initdb", "--pgdata", str(self.data), *INITDB_OPTIONS)
        settings = {**SETTINGS, "port": str(self.port), "unix_socket_directories": str(self.home)}
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{key} = '{value}'\n" for key, value in settings.items())

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._run("pg_ctl", "start", "--wait", "--pgdata", str(self.data), "--log", str(self.log))

    def halt(self) -> None:
        """Stop the server as an operator would (`pg_ctl stop -m fast`), keeping its data."""
        self._run("pg_ctl", "stop", "--wait", "--mode=fast", "--pgdata", str(self.data))

    def destroy(self) -> None:
        """Stop the server at once and delete its files: nothing in them is worth a clean stop."""
        stop = ("stop", "--wait", "--mode=immediate", "--pgdata", str(self.data))
        self._run("pg_ctl", *stop, check=False)
        shutil.rmtree(self.home)

    def _run(self, tool: str, *args: str, check: bool = True) -> None:
        """Run a server binary as the server account; on failure, raise with its output."""
        # Root's groups are dropped too, so the server account gets no more than its own rights.
        account = self.account
        result = subprocess.run(
            [str(self.bindir / tool), *args],
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            extra_groups=[] if account else None,
            cwd=self.home,  # the caller's directory may be closed to the server account
            capture_output=True,
            text=True,
            check=False,
            timeout=COMMAND_TIMEOUT,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stderr.strip()}{self._log_tail()}")

    def _log_tail(self) -> str:
        return f"\n{self.log.read_text()[-2000:]}" if self.log.is_file() else ""


class PostgresServer(ThrowawayServer):
    """A private PostgreSQL server in a temporary directory, deleted again by `stop()`."""

    def __init__(self, bindir: Path | None = None) -> None:
        self._bindir = bindir
        self._cluster: _Cluster | None = None

    @property
    def port(self) -> int:
        """Return the TCP port the running server listens on."""
        return self._running().port

    @property
    def url(self) -> str:
        """Return the URL to connect to the running server as its superuser."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def running(self) -> bool:
        return self._cluster is not None

    def pause(self) -> None:
        """Stop the running server but keep its data, so `resume()` brings the same one back.

        A fast stop, what `systemctl stop postgresql` does: open sessions are ended, and new
        connections are refused until the server starts again.
        """
        self._running().halt()

    def resume(self) -> None:
        """Start a paused server again on the same port and data; returns once it accepts."""
        self._running().start()

    def _launch(self) -> None:
        account = _server_account()
        bindir = self._bindir or find_bindir()
        self._cluster = _Cluster(bindir, _make_home(account), free_port(), account)

    def _bring_up(self) -> None:
        """Create the cluster and start its server."""
        cluster = self._running()
        cluster.create()
        cluster.start()

    def _shut_down(self) -> None:
        cluster, self._cluster = self._running(), None
        cluster.destroy()

    def _running(self) -> _Cluster:
        if self._cluster is None:
            raise RuntimeError("the PostgreSQL server is not running: call start() first")
        return self._cluster


@contextmanager
def running_postgres() -> Iterator[str]:
    """Run a throwaway server for the duration of the block and yield its URL."""
    with PostgresServer() as server:
        yield server.url
