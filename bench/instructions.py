"""Count the instructions one request costs the app, under callgrind: figures that do not drift.

From the template's root:

    python3 -m uv run python bench/instructions.py .                       # the item read
    python3 -m uv run python bench/instructions.py HEAD~1 . --request live
    python3 -m uv run python bench/instructions.py main . --request cached --answers cache=redis

wrk's figures on a shared two-core machine drift between runs by more than most single changes
are worth. callgrind counts the instructions the app's own process executes, which come out the
same from run to run whatever else the machine does. Each revision (a git ref, or `.` for the
working tree) is baked and installed as `compare.py` does; PostgreSQL and Redis start once, on
the other CPU, and are seeded once; then every run serves one request path in process
(`inprocess.py`: the lifespan, a warm-up, then the counted requests, a few at a time), revisions
in turn. For `live` and `read` the matching baseline (bare FastAPI, the minimal asyncpg
endpoint) is counted too, so the ratio the targets name has a steady counterpart.

What the count leaves out: uvicorn and httptools (the same for every app), the time lost to
cache misses (a request touches more code than the CPU's caches hold), and the servers' own work.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from apps import AppSpec, app_environment
from backends import Backends, running_backends
from bakes import Bake, add_baseline_dependencies, item_query
from compare import (
    REQUESTS,
    WORKING_TREE,
    add_revision_arguments,
    bake_revisions,
    describe_answers,
    revision_answers,
)
from plan import asyncpg_spec, bare_spec, service_spec
from run import in_workdir, progress, seed_through_api

DRIVER = Path(__file__).resolve().parent / "inprocess.py"
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")
# What a counted answer must carry, by request: a cached read must be a hit.
_EXPECTED_HEADER = {"cached": "x-cache=hit"}


@dataclass(frozen=True)
class Options:
    revisions: list[str]
    request: str
    answers: dict[str, str]
    requests: int
    in_flight: int
    runs: int
    items: int
    baseline: bool
    server_cpu: int
    backends_cpu: int


@dataclass(frozen=True)
class Counted:
    """One app's instructions per request, one figure per run."""

    label: str
    per_request: list[float]
    baseline: bool = False

    @property
    def median(self) -> float:
        return statistics.median(self.per_request)


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_revision_arguments(parser)
    parser.add_argument("--requests", type=int, default=2048, help="requests counted (2048)")
    parser.add_argument("--in-flight", type=int, default=8, help="requests at once (8)")
    parser.add_argument("--runs", type=int, default=2, help="runs of each app (default 2)")
    parser.add_argument("--no-baseline", action="store_true", help="count the revisions only")
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU for the app (default 0)")
    parser.add_argument(
        "--backends-cpu", type=int, default=1, help="CPU for PostgreSQL and Redis (default 1)"
    )
    args = parser.parse_args(argv)
    if args.requests < args.in_flight or args.in_flight < 1 or args.runs < 1:
        parser.error("--requests >= --in-flight >= 1, and --runs >= 1")
    return Options(
        revisions=args.revisions,
        request=args.request,
        answers=revision_answers(parser, args),
        requests=args.requests,
        in_flight=args.in_flight,
        runs=args.runs,
        items=args.items,
        baseline=not args.no_baseline,
        server_cpu=args.server_cpu,
        backends_cpu=args.backends_cpu,
    )


def preflight(options: Options) -> None:
    """Fail early, in one line, when a tool is missing."""
    tools = ["valgrind", "callgrind_control", "taskset"]
    if set(options.revisions) != {WORKING_TREE}:
        tools.append("git")
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"instructions: {', '.join(missing)} not found (apt-get install valgrind)")
    if options.server_cpu == options.backends_cpu:
        raise SystemExit("instructions: --server-cpu and --backends-cpu must differ")


def count_all(options: Options, workdir: Path) -> list[Counted]:
    """Bake every revision, start the servers once, seed, then count run by run."""
    bakes = bake_revisions(options.revisions, options.answers, workdir)
    with running_backends(bakes[0], cpus={options.backends_cpu}) as backends:
        item_id = seed_through_api(
            bakes[0], backends, cpu=options.server_cpu, items=options.items, workdir=workdir
        )
        path = REQUESTS[options.request][0].format(item_id=item_id)
        specs = [
            service_spec(bake, backends, label=revision)
            for bake, revision in zip(bakes, options.revisions, strict=True)
        ]
        baselines = _baselines(options, bakes[0], backends, item_id)
        counted = [Counted(spec.label, []) for spec in specs]
        counted += [Counted(spec.label, [], baseline=True) for spec in baselines]
        specs += baselines
        for number in range(options.runs):
            for spec, figures in zip(specs, counted, strict=True):
                figures.per_request.append(count(spec, path, options, workdir))
                progress(
                    f"run {number + 1}/{options.runs} {spec.label}: "
                    f"{figures.per_request[-1] / 1000:,.1f}k instructions per request"
                )
        progress("stopping the servers, removing the bakes")
    return counted


def _baselines(options: Options, bake: Bake, backends: Backends, item_id: int) -> list[AppSpec]:
    """The baseline the request's target is measured against, if it has one."""
    if not options.baseline or options.request not in {"live", "read"}:
        return []
    add_baseline_dependencies(bake)
    if options.request == "live":
        return [bare_spec(bake)]
    return [asyncpg_spec(bake, backends, item_id, item_query(bake))]


def count(spec: AppSpec, path: str, options: Options, workdir: Path) -> float:
    """Serve `path` in process under callgrind; the app's instructions per counted request."""
    handle, out = tempfile.mkstemp(prefix="callgrind-", dir=workdir)
    os.close(handle)  # callgrind writes the file itself
    command = [
        *("taskset", "--cpu-list", str(options.server_cpu)),
        *("valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"),
        *(str(spec.bin / "python"), str(DRIVER), spec.target[0], path, *spec.target[1:]),
        *("--requests", str(options.requests), "--in-flight", str(options.in_flight)),
    ]
    if header := _EXPECTED_HEADER.get(options.request):
        command += ["--expect-header", header]
    env = {**app_environment(spec, workdir), "INPROCESS_UNDER_CALLGRIND": "1"}
    done = subprocess.run(command, cwd=spec.cwd, env=env, capture_output=True, text=True)
    Path(out).unlink(missing_ok=True)
    collected = _COLLECTED.findall(done.stderr)
    if done.returncode != 0 or not collected:
        tail = "\n".join(done.stderr.splitlines()[-20:])
        raise SystemExit(f"instructions: {spec.label} failed ({done.returncode}):\n{tail}")
    return int(collected[-1]) / options.requests


def markdown(options: Options, counted: list[Counted]) -> str:
    """Per app: the median of its runs, their spread, the change from the first revision."""
    # With a baseline: its count over the app's, the target's ratio were time spent in
    # proportion to instructions.
    baseline = next((figures for figures in counted if figures.baseline), None)
    lines = [
        f"### {options.request} ({describe_answers(options.answers)}): instructions per request",
        "",
        f"callgrind, in process: {options.requests} requests, {options.in_flight} at a time, "
        f"after a warm-up; medians of {options.runs} runs.",
        "",
        "| App | instructions per request | spread | vs first | baseline / app |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    first = counted[0].median
    for figures in counted:
        median = figures.median
        spread = (max(figures.per_request) - min(figures.per_request)) / median
        change = f"{(median - first) / 1000:+,.1f}k ({median / first - 1:+.1%})"
        versus = "" if figures is counted[0] or figures.baseline else change
        ratio = "" if baseline is None or figures.baseline else f"{baseline.median / median:.3f}x"
        lines.append(
            f"| {figures.label} | {median / 1000:,.1f}k | {spread:.1%} | {versus} | {ratio} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    preflight(options)
    counted = in_workdir("bench-instructions-", lambda workdir: count_all(options, workdir))
    if counted is None:
        return 130
    print(markdown(options, counted))
    return 0


if __name__ == "__main__":
    sys.exit(main())
