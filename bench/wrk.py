"""Load an URL with wrk pinned to its own core, and read throughput and latency from its report."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

# wrk's units for durations in its report.
_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = r"([\d.]+)(us|ms|s|m|h)"
_PERCENTILE = re.compile(rf"^\s*(50|99)(?:\.0+)?%\s+{_DURATION}\s*$", re.MULTILINE)
_REQUESTS = re.compile(rf"(\d+) requests in {_DURATION}")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


@dataclass(frozen=True)
class Load:
    """How hard and how long to load: wrk's -t, -c and -d."""

    threads: int
    connections: int
    seconds: int
    cpu: int


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    # Responses that were not 2xx/3xx, plus connect/read/write errors and timeouts.
    errors: int

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds


def run_wrk(url: str, load: Load) -> WrkResult:
    """Run wrk once against `url` and parse its report."""
    command = ["taskset", "--cpu-list", str(load.cpu), "wrk", "--latency"]
    command += [f"-t{load.threads}", f"-c{load.connections}", f"-d{load.seconds}s", url]
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=load.seconds + 60
    )
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr.strip()}")
    return parse_report(result.stdout)


def parse_report(report: str) -> WrkResult:
    """Read the figures the benchmark uses from wrk's text report."""
    requests = _REQUESTS.search(report)
    if requests is None:
        raise ValueError(f"no request count in wrk's report:\n{report}")
    percentiles = {m[1]: _to_seconds(m[2], m[3]) for m in _PERCENTILE.finditer(report)}
    return WrkResult(
        requests=int(requests[1]),
        seconds=_to_seconds(requests[2], requests[3]),
        p50_ms=percentiles["50"] * 1000,
        p99_ms=percentiles["99"] * 1000,
        errors=_count(_NON_2XX, report) + _count(_SOCKET_ERRORS, report),
    )


def _to_seconds(number: str, unit: str) -> float:
    return float(number) * _SECONDS[unit]


def _count(pattern: re.Pattern[str], report: str) -> int:
    match = pattern.search(report)
    return 0 if match is None else sum(int(group) for group in match.groups())
