"""Start an app under uvicorn on one core, wait until it is ready, read its CPU time and memory.

Every app runs with the same uvicorn flags. With `--workers 1` uvicorn serves in the process
it was started as (no supervisor), and `taskset` execs it, so the Popen PID is the worker.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bakes import clean_env
from probes import get_once

UVICORN_FLAGS = (
    "--workers",
    "1",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
)
READY_TIMEOUT = 60.0
POLL_INTERVAL = 0.005
STOP_TIMEOUT = 15.0
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Levels a healthy run does not log; "not-json" marks lines outside the JSON log format.
QUIET_LEVELS = frozenset({"warning", "error", "critical", "exception", "not-json"})


@dataclass(frozen=True)
class AppSpec:
    """How to run one app: `target` is uvicorn's app argument and its own flags."""

    name: str
    label: str
    cwd: Path
    bin: Path
    target: tuple[str, ...]
    ready_path: str
    env: dict[str, str] = field(default_factory=dict)
    # Production (`make serve`) gives prometheus_client an empty directory per run.
    metrics_dir: bool = False
    # Whether every log line should be JSON: then a line that is not counts as a warning.
    json_logs: bool = False


@dataclass(frozen=True)
class Running:
    spec: AppSpec
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    startup_seconds: float
    # Log lines by level, and warnings or worse by event, counted once the app has stopped.
    levels: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the worker so far (/proc/<pid>/stat)."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat.rpartition(")")[2].split()  # after the command name, which may have spaces
        utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
        return (utime + stime) / _CLOCK_TICKS

    def rss_mb(self) -> float:
        """Resident memory of the worker (VmRSS), in MiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmRSS for process {self.process.pid}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(spec: AppSpec, *, cpu: int, workdir: Path) -> Iterator[Running]:
    """Run the app pinned to `cpu` until the block ends; its log is counted, then deleted."""
    port = free_port()
    env = app_environment(spec, workdir)
    log = Path(tempfile.mkstemp(prefix=f"{spec.name}-", suffix=".log", dir=workdir)[1])
    command = ["taskset", "--cpu-list", str(cpu), str(spec.bin / "uvicorn"), *spec.target]
    command += ["--host", "127.0.0.1", "--port", str(port), *UVICORN_FLAGS]
    with log.open("wb") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=spec.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the harness, which stops the app in order
        )
    app: Running | None = None
    try:
        startup = _wait_until_ready(process, port, spec.ready_path, log) - started
        app = Running(spec, process, port, log, startup)
        yield app
    finally:
        _stop(process)
        if app is not None:
            app.levels.update(log_levels(log))
            app.warnings.update(log_warnings(log, json_expected=spec.json_logs))
        log.unlink(missing_ok=True)


def app_environment(spec: AppSpec, workdir: Path) -> dict[str, str]:
    env = clean_env(**spec.env)
    if spec.metrics_dir:
        env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="metrics-", dir=workdir)
    return env


def _wait_until_ready(process: subprocess.Popen[bytes], port: int, path: str, log: Path) -> float:
    """Poll `path` until it answers 200; return when it did (perf_counter)."""
    deadline = time.perf_counter() + READY_TIMEOUT
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with {process.returncode}:\n{_tail(log)}")
        try:
            if get_once(port, path, timeout=1.0).status == 200:
                return time.perf_counter()
        except OSError:
            pass  # not listening yet
        time.sleep(POLL_INTERVAL)
    raise TimeoutError(f"{path} did not answer 200 within {READY_TIMEOUT} s:\n{_tail(log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        print(f"note: the app ignored SIGTERM for {STOP_TIMEOUT} s; killed", file=sys.stderr)
        process.kill()
        process.wait()


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


def log_levels(log: Path) -> dict[str, int]:
    """Count the app's log lines by level; lines that are not JSON count as `not-json`."""
    return dict(Counter(_level(record) for record in _records(log)))


def log_warnings(log: Path, *, json_expected: bool) -> dict[str, int]:
    """Count warnings and worse by level, event and error, e.g. `warning cache_unavailable`."""
    quiet = QUIET_LEVELS if json_expected else QUIET_LEVELS - {"not-json"}
    return dict(Counter(_headline(r) for r in _records(log) if _level(r) in quiet))


def _records(log: Path) -> Iterator[dict[str, object] | None]:
    with log.open("rb") as lines:
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            yield record if isinstance(record, dict) else None


def _level(record: dict[str, object] | None) -> str:
    return "not-json" if record is None else str(record.get("level", "none"))


def _headline(record: dict[str, object] | None) -> str:
    if record is None:
        return "not-json"
    parts = (record.get("level"), record.get("event"), record.get("error"))
    return " ".join(str(part) for part in parts if part is not None)[:200]
