"""What each library adds per request on the service's hot path: a table of µs per request.

From the template's root: `python3 -m uv run python bench/library_costs.py [--smoke]`.
Bakes the default project once, for its venv (the service's own FastAPI, uvicorn, structlog,
redis-py and prometheus_client), adds prometheus-fastapi-instrumentator to it, starts Redis
from the bake's script on wrk's CPU, then serves the purpose-built apps of
`baselines/pieces.py` one at a time under uvicorn on the other CPU, loaded by wrk, as
`run.py` serves the service. Each repetition starts every app afresh, in a rotating order.
A piece's cost is its app's server CPU per request minus that of the same app without the
piece in the same repetition; the table shows the median over repetitions and the range.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apps import AppSpec, Running, running
from backends import running_redis
from bakes import (
    Variant,
    add_baseline_dependencies,
    bake_and_install,
    installed_versions,
    snapshot_template,
)
from probes import get_once
from run import BENCH, TEMPLATE, in_workdir, preflight, progress
from wrk import Load, run_wrk

BASELINES = BENCH / "baselines"
INSTRUMENTATOR = "prometheus-fastapi-instrumentator"
ROUTE_COUNTS = (10, 50, 200)
LIVE = "/health/live"


@dataclass(frozen=True)
class Cost:
    """What `app` adds over `baseline`, the same app without the piece."""

    piece: str
    app: str
    baseline: str


COSTS = (
    Cost(
        "structlog access line (context bound, one `info`, JSON via orjson)", "access_line", "host"
    ),
    Cost("prometheus_client: one `inc()` and one `observe()` (multiprocess)", "metrics", "host"),
    Cost("redis-py: one command (`GET`, `redis.asyncio`, blocking pool)", "redis", "bare"),
    Cost("redis-py: the same with a pool of 64 (no waits at 64 in flight)", "redis-64", "bare"),
    Cost("limits: one sliding-window hit in Redis (redis-py pool)", "rate_limit", "bare"),
    Cost("limits: one sliding-window hit in process memory", "rate_limit_memory", "bare"),
    Cost("one `include_router` level", "router", "bare"),
    *(
        Cost(f"instrumentator's route look-up, {n} routes", f"instrumentator-{n}", f"routes-{n}")
        for n in ROUTE_COUNTS
    ),
    Cost("(ours) pure-ASGI middleware: request ID, `send` wrapper, timer", "host", "bare"),
)


@dataclass(frozen=True)
class Sample:
    repetition: int
    app: str
    requests: int
    requests_per_second: float
    cpu_us_per_request: float
    errors: int


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true", help="1 repetition of 1 s runs (CI)")
    parser.add_argument("--repetitions", type=int, help="interleaved repetitions (default 5)")
    parser.add_argument("--seconds", type=int, help="seconds per measured run (default 3)")
    parser.add_argument("--warmup", type=int, help="seconds of warm-up per run (default 1)")
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU for the app (default 0)")
    parser.add_argument("--wrk-cpu", type=int, default=1, help="CPU for wrk and Redis (1)")
    parser.add_argument("--out", type=Path, default=BENCH / "library_costs.json")
    args = parser.parse_args(argv)
    for name, full, smoke in (("repetitions", 5, 1), ("seconds", 3, 1), ("warmup", 1, 0)):
        if getattr(args, name) is None:
            setattr(args, name, smoke if args.smoke else full)
    return args


def app_specs(bin_dir: Path, redis_url: str) -> dict[str, AppSpec]:
    """Every app of `COSTS` by name, each answering one path."""
    apps = {name: spec(bin_dir, name, name, LIVE) for name in ("bare", "router", "host")}
    apps["access_line"] = spec(bin_dir, "access_line", "access_line", LIVE)
    apps["metrics"] = spec(bin_dir, "metrics", "metrics", LIVE, metrics_dir=True)
    apps["redis"] = spec(bin_dir, "redis", "redis", LIVE, REDIS_URL=redis_url)
    apps["redis-64"] = spec(
        bin_dir, "redis-64", "redis", LIVE, REDIS_URL=redis_url, BENCH_REDIS_POOL="64"
    )
    apps["rate_limit"] = spec(bin_dir, "rate_limit", "rate_limit", LIVE, REDIS_URL=redis_url)
    apps["rate_limit_memory"] = spec(
        bin_dir, "rate_limit_memory", "rate_limit", LIVE, BENCH_RATE_STORE="memory"
    )
    for n in ROUTE_COUNTS:
        last = f"/api/v1/resource-{n - 1:03d}"
        apps[f"routes-{n}"] = spec(bin_dir, f"routes-{n}", "routes", last, BENCH_ROUTES=str(n))
        apps[f"instrumentator-{n}"] = spec(
            bin_dir, f"instrumentator-{n}", "instrumentator", last, BENCH_ROUTES=str(n)
        )
    return apps


def spec(
    bin_dir: Path, name: str, piece: str, path: str, *, metrics_dir: bool = False, **env: str
) -> AppSpec:
    return AppSpec(
        name=name,
        label=name,
        cwd=BASELINES,
        bin=bin_dir,
        target=("pieces:app", "--app-dir", str(BASELINES)),
        ready_path=path,
        env={"BENCH_PIECE": piece, **env},
        metrics_dir=metrics_dir,
    )


def measure_once(app: Running, load: Load, warmup: Load | None, repetition: int) -> Sample:
    """Check the answer, warm up, then load while counting the worker's CPU time."""
    url = f"http://127.0.0.1:{app.port}{app.spec.ready_path}"
    reply = get_once(app.port, app.spec.ready_path)
    if reply.status != 200 or reply.json() != {"status": "ok"}:
        raise RuntimeError(f"{app.spec.name}: {reply.status} {reply.body[:200]!r}")
    if warmup is not None:
        run_wrk(url, warmup)
    cpu = app.cpu_seconds()
    result = run_wrk(url, load)
    cpu = app.cpu_seconds() - cpu
    return Sample(
        repetition,
        app.spec.name,
        result.requests,
        result.requests_per_second,
        cpu * 1e6 / max(result.requests, 1),
        result.errors,
    )


def benchmark(args: argparse.Namespace, workdir: Path) -> tuple[list[Sample], dict[str, Any]]:
    """Bake once, start Redis, serve every app once per repetition; return the samples."""
    template = snapshot_template(TEMPLATE, workdir / "template")
    progress("baking and installing the default project")
    bake = bake_and_install(template, Variant("default"), workdir)
    add_baseline_dependencies(bake, INSTRUMENTATOR)
    load = Load(1, 64, args.seconds, args.wrk_cpu)
    warmup = Load(1, 64, args.warmup, args.wrk_cpu) if args.warmup > 0 else None
    samples: list[Sample] = []
    with running_redis(bake, cpus={args.wrk_cpu}) as redis_url:
        specs = app_specs(bake.bin, redis_url)
        names = list(specs)
        for repetition in range(args.repetitions):
            shift = repetition % len(names)
            for name in names[shift:] + names[:shift]:
                with running(specs[name], cpu=args.server_cpu, workdir=workdir) as app:
                    samples.append(measure_once(app, load, warmup, repetition))
                progress(
                    f"rep {repetition + 1}/{args.repetitions} {name}: "
                    f"{samples[-1].cpu_us_per_request:.1f} µs CPU/req"
                )
    return samples, {"versions": installed_versions(bake)}


def costs(samples: list[Sample]) -> list[dict[str, Any]]:
    """Each piece's paired per-repetition differences, their median and range."""
    by_run = {(s.app, s.repetition): s for s in samples}
    repetitions = sorted({s.repetition for s in samples})
    return [
        _cost(cost, [(by_run[cost.app, r], by_run[cost.baseline, r]) for r in repetitions])
        for cost in COSTS
    ]


def _cost(cost: Cost, all_pairs: list[tuple[Sample, Sample]]) -> dict[str, Any]:
    # A run in which the app completed no request (starved by other work on the machine)
    # has no CPU per request: its repetition is left out of this piece's figures.
    pairs = [(app, base) for app, base in all_pairs if app.requests and base.requests]
    deltas = [app.cpu_us_per_request - base.cpu_us_per_request for app, base in pairs]
    return {
        **asdict(cost),
        "us_per_request": statistics.median(deltas),
        "range": (min(deltas), max(deltas)),
        "deltas": deltas,
        "repetitions_left_out": len(all_pairs) - len(pairs),
        "baseline_us": statistics.median(base.cpu_us_per_request for _, base in pairs),
        "ratio": statistics.median(
            app.requests_per_second / base.requests_per_second for app, base in pairs
        ),
    }


def markdown(rows: list[dict[str, Any]], repetitions: int) -> str:
    lines = [
        f"| Piece | App without it | µs/req added (median of {repetitions}) | per-run range"
        " | without it, µs/req | req/s ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        low, high = row["range"]
        left_out = row["repetitions_left_out"]
        note = f" ({repetitions - left_out} runs)" if left_out else ""
        lines.append(
            f"| {row['piece']} | `{row['baseline']}` | {row['us_per_request']:+.1f}{note} "
            f"| {low:+.0f} to {high:+.0f} | {row['baseline_us']:.0f} | {row['ratio']:.2f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table, write every sample to `--out`; 130 when interrupted."""
    args = parse_args(argv)
    preflight(args.server_cpu, args.wrk_cpu)
    load_before = os.getloadavg()
    done = in_workdir("bench-costs-", lambda workdir: benchmark(args, workdir))
    if done is None:
        return 130
    samples, meta = done
    rows = costs(samples)
    failed = sum(s.errors for s in samples)
    meta |= {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "failed_requests": failed,
    }
    document = {"meta": meta, "costs": rows, "samples": [asdict(s) for s in samples]}
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    print(markdown(rows, args.repetitions))
    if failed:
        print(f"\n**Failed requests (non-2xx or socket errors): {failed}**")
    print(f"\nLoad average before and after: {load_before[0]:.2f}, {os.getloadavg()[0]:.2f}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
