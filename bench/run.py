"""Benchmark the generated service against bare FastAPI and a minimal asyncpg endpoint.

From the template's root: `python3 -m uv run python bench/run.py [--smoke]`. Bakes the
template, installs each bake, starts PostgreSQL and Redis, seeds items through the API,
then measures every scenario once per repetition (interleaved) and prints the medians as
Markdown; everything goes to a JSON file too. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

from apps import AppSpec, running
from backends import Backends, running_backends
from bakes import (
    Bake,
    add_baseline_dependencies,
    bake_all,
    default_answers,
    installed_versions,
    item_query,
    snapshot_template,
    template_revision,
)
from measure import AppSample, Conditions, measure, seed
from plan import APPS, SCENARIOS, VARIANTS, app_specs, service_spec
from report import Results, Summary, summarize, write_json
from tables import markdown
from wrk import Load

T = TypeVar("T")

BENCH = Path(__file__).resolve().parent
TEMPLATE = BENCH.parent
_STARTED = time.perf_counter()
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# (full run, --smoke) defaults of the options that --smoke changes.
DEFAULTS = {"repetitions": (5, 1), "seconds": (5, 1), "warmup": (1, 0), "items": (200, 50)}


@dataclass(frozen=True)
class Options:
    smoke: bool
    repetitions: int
    seconds: int
    warmup_seconds: int
    connections: int
    items: int
    server_cpu: int
    wrk_cpu: int
    pin_backends: bool
    out: Path

    @property
    def load(self) -> Load:
        return Load(1, self.connections, self.seconds, self.wrk_cpu)

    @property
    def warmup(self) -> Load | None:
        if self.warmup_seconds <= 0:
            return None
        return Load(1, self.connections, self.warmup_seconds, self.wrk_cpu)


def parse_args(argv: list[str] | None = None) -> Options:
    """Read the command line; `--smoke` changes the defaults, explicit flags still win."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--smoke", action="store_true", help="1 repetition of 1 s runs, 50 items, no warm-up (CI)"
    )
    parser.add_argument("--repetitions", type=int, help="interleaved repetitions (default 5)")
    parser.add_argument("--seconds", type=int, help="seconds per measured run (default 5)")
    parser.add_argument("--warmup", type=int, help="seconds of warm-up per run, 0: none (1)")
    parser.add_argument("--connections", type=int, default=64, help="wrk -c (default 64)")
    parser.add_argument("--items", type=int, help="items to seed (default 200)")
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU for the app (default 0)")
    parser.add_argument("--wrk-cpu", type=int, default=1, help="CPU for wrk (default 1)")
    parser.add_argument(
        "--backends-anywhere",
        action="store_true",
        help="let PostgreSQL and Redis run on any CPU, the app's too (default: wrk's CPU)",
    )
    parser.add_argument("--out", type=Path, default=BENCH / "results.json", help="JSON output")
    args = parser.parse_args(argv)
    chosen = {
        name: given if (given := getattr(args, name)) is not None else pair[args.smoke]
        for name, pair in DEFAULTS.items()
    }
    return Options(
        smoke=args.smoke,
        repetitions=chosen["repetitions"],
        seconds=chosen["seconds"],
        warmup_seconds=chosen["warmup"],
        connections=args.connections,
        items=chosen["items"],
        server_cpu=args.server_cpu,
        wrk_cpu=args.wrk_cpu,
        pin_backends=not args.backends_anywhere,
        out=args.out,
    )


def progress(message: str) -> None:
    """A line on stderr, so that stdout carries only the tables."""
    print(f"[{time.perf_counter() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def preflight(server_cpu: int, wrk_cpu: int, *, tools: tuple[str, ...] = ()) -> None:
    """Fail early, in one line, when the machine cannot run the benchmark (or `tools`)."""
    missing = [tool for tool in ("wrk", "taskset", *tools) if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"bench: {', '.join(missing)} not found on PATH (apt-get install wrk)")
    if not Path("/proc/self/stat").is_file():
        raise SystemExit("bench: needs Linux (/proc) to read CPU time and memory")
    cpus = os.sched_getaffinity(0)
    if server_cpu == wrk_cpu or not {server_cpu, wrk_cpu} <= cpus:
        raise SystemExit(f"bench: --server-cpu and --wrk-cpu must be two of the CPUs {cpus}")


def in_workdir(prefix: str, work: Callable[[Path], T]) -> T | None:
    """`work` in a temporary directory, stopped by Ctrl-C or SIGTERM; None if it was.

    Whatever it started is stopped and the directory removed either way.
    """
    stop_on_signals()
    try:
        with tempfile.TemporaryDirectory(prefix=prefix) as workdir:
            return work(Path(workdir))
    except KeyboardInterrupt:
        progress("interrupted: servers stopped, temporary files removed")
        return None


def stop_on_signals() -> None:
    """Turn the first Ctrl-C, SIGTERM or SIGHUP into a KeyboardInterrupt (see `_interrupt`)."""
    for name in _STOP_SIGNALS:
        signal.signal(name, _interrupt)


def benchmark(options: Options, workdir: Path) -> tuple[Summary, dict[str, Any]]:
    """Bake, install, start the backing servers, seed, measure; everything stops on exit."""
    template = snapshot_template(TEMPLATE, workdir / "template")
    progress(f"baking and installing {', '.join(v.name for v in VARIANTS)}")
    bakes = bake_all(template, list(VARIANTS), workdir)
    add_baseline_dependencies(bakes["default"])
    backends_cpus = {options.wrk_cpu} if options.pin_backends else None
    with running_backends(bakes["default"], cpus=backends_cpus) as backends:
        item_id = seed_through_api(
            bakes["default"],
            backends,
            cpu=options.server_cpu,
            items=options.items,
            workdir=workdir,
        )
        item_sql = item_query(bakes["nocache"])
        specs = app_specs(bakes, backends, item_id, item_sql)
        conditions = Conditions(item_id, options.load, options.warmup, backends)
        results = Results()
        for repetition in range(options.repetitions):
            _repetition(repetition, specs, conditions, results, options, workdir)
        meta = _meta(options, template, bakes, backends, item_id, item_sql)
        progress("stopping PostgreSQL and Redis, removing the bakes")
    return summarize(results, specs), meta


def seed_through_api(bake: Bake, backends: Backends, *, cpu: int, items: int, workdir: Path) -> int:
    """Create the items every read scenario uses, through the service; return the ID they read."""
    with running(service_spec(bake, backends), cpu=cpu, workdir=workdir) as app:
        ids = seed(app.port, items)
    progress(f"seeded {len(ids)} items with 3 tags each through the API")
    return ids[0]


def _repetition(
    repetition: int,
    specs: dict[str, AppSpec],
    conditions: Conditions,
    results: Results,
    options: Options,
    workdir: Path,
) -> None:
    """Each app in turn, alone, for each of its scenarios; the order rotates per repetition."""
    shift = repetition % len(APPS)
    for name in APPS[shift:] + APPS[:shift]:
        with running(specs[name], cpu=options.server_cpu, workdir=workdir) as app:
            for scenario in (s for s in SCENARIOS if s.app == name):
                sample = measure(app, scenario, conditions, repetition)
                results.add(scenario.key, sample)
                progress(
                    f"rep {repetition + 1}/{options.repetitions} {scenario.key}: "
                    f"{sample.requests_per_second:,.0f} req/s, "
                    f"{sample.cpu_us_per_request:.0f} µs CPU/req"
                )
            rss = app.rss_mb()
        results.add_app(
            name, AppSample(repetition, app.startup_seconds, rss, app.levels, app.warnings)
        )


def _meta(
    options: Options,
    template: Path,
    bakes: dict[str, Bake],
    backends: Backends,
    item_id: int,
    item_sql: str,
) -> dict[str, Any]:
    versions = {name: installed_versions(bake) for name, bake in bakes.items()}
    return {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "options": {**asdict(options), "out": str(options.out)},
        "template": template_revision(TEMPLATE),
        "default_answers": default_answers(template),
        "variants": {name: bake.variant.answers for name, bake in bakes.items()},
        "versions": versions["default"],
        "same_versions_in_every_bake": _same_versions(list(versions.values())),
        "item_id": item_id,
        "item_sql": item_sql,
        "queries_counted": "pg_stat_statements" if backends.counts_statements else None,
        "python": sys.version.split()[0],
        "machine": _machine(),
    }


def _same_versions(installs: list[dict[str, str | None]]) -> bool:
    """Whether every package installed in several bakes has one version in all of them."""
    seen: dict[str, set[str]] = {}
    for install in installs:
        for package, version in install.items():
            if version is not None:
                seen.setdefault(package, set()).add(version)
    return all(len(versions) == 1 for versions in seen.values())


def _machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {"cpu": model, "cpus": os.cpu_count(), "kernel": platform.release()}


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """Stop at the first Ctrl-C or SIGTERM, and let the clean-up finish undisturbed.

    `uv run` passes a Ctrl-C on to us, so it often arrives twice: a second
    KeyboardInterrupt in the middle of a server's `stop()` would leave its files behind.
    """
    for name in _STOP_SIGNALS:
        signal.signal(name, signal.SIG_IGN)
    raise KeyboardInterrupt  # unwinds every `with`, so servers stop and files go


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when it completed (whatever the figures), 130 when interrupted."""
    options = parse_args(argv)
    preflight(options.server_cpu, options.wrk_cpu)
    load_before = os.getloadavg()
    done = in_workdir("bench-", lambda workdir: benchmark(options, workdir))
    if done is None:
        return 130
    summary, meta = done
    elapsed = time.perf_counter() - _STARTED
    meta["elapsed_seconds"] = round(elapsed, 1)
    # Other work on the machine skews every figure: a load near 2 before we started says so.
    meta["load_average"] = {"before": load_before, "after": os.getloadavg()}
    write_json(options.out, summary, meta)
    notes = _notes(meta)
    print(
        markdown(
            summary,
            repetitions=options.repetitions,
            load=options.load,
            warmup=options.warmup,
            notes=notes,
        )
    )
    progress(f"done in {elapsed:.0f} s; JSON in {options.out}")
    return 0


def _notes(meta: dict[str, Any]) -> list[str]:
    features = ("database", "cache", "use_metrics", "use_http_client")
    answers = " ".join(f"{k}={v}" for k, v in meta["default_answers"].items() if k in features)
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if v)
    options = meta["options"]
    backends = (
        f"on CPU {options['wrk_cpu']}, with wrk"
        if options["pin_backends"]
        else "on any CPU, the app's too (--backends-anywhere)"
    )
    return [
        f"Default bake: {answers}.",
        f"PostgreSQL and Redis ran {backends}.",
        f"Versions: {versions}.",
    ]


if __name__ == "__main__":
    sys.exit(main())
