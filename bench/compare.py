"""Compare template revisions on one request, for differences too small for a full run.

From the template's root:

    python3 -m uv run python bench/compare.py HEAD~1 .            # the item read, cache=none
    python3 -m uv run python bench/compare.py main . --request cached --answers cache=redis

Each revision (a git ref, or `.` for the working tree as it is) is baked with the same answers
and installed as `run.py` installs the service. PostgreSQL and Redis start once, on wrk's CPU,
migrated by the first revision's bake (so the revisions must share the schema), and the items
are seeded once. Then every round starts each revision in turn on the server CPU (the order
alternating from round to round), warms it up and loads it. A full run drifts by a few µs of
CPU per request between runs; here both sides of each difference share a round.

With `--together`, the revisions run side by side, all on the server CPU (each idle while
another is loaded), and the rounds alternate between them: short runs, seconds apart, so more
rounds fit in the same time and fewer of them straddle a change in the machine. They are all
restarted every `--batch` rounds: one process of the same code can run a few µs per request
faster or slower than another for its whole life (where its memory lands in the caches), so
the processes are sampled too.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import statistics
import subprocess
import sys
import tarfile
from dataclasses import dataclass, replace
from pathlib import Path

from apps import AppSpec, running
from backends import Backends, running_backends
from bakes import TEMPLATE_PARTS, Bake, Variant, bake_and_install, snapshot_template
from measure import Conditions, Sample, measure
from plan import ITEM, ITEMS, Expect, Scenario, service_spec
from run import TEMPLATE, in_workdir, preflight, progress, seed_through_api
from wrk import Load

WORKING_TREE = "."
# What can be requested, what its answer must show, and the answers it needs by default.
REQUESTS: dict[str, tuple[str, Expect, dict[str, str]]] = {
    "live": ("/health/live", "live", {}),
    "read": (ITEM, "uncached", {"cache": "none"}),
    "cached": (ITEM, "cache-hit", {}),
    "list": (f"{ITEMS}?limit=50", "uncached", {"cache": "none"}),
}


@dataclass(frozen=True)
class Options:
    revisions: list[str]
    request: str
    answers: dict[str, str]
    rounds: int
    seconds: int
    warmup_seconds: int
    connections: int
    items: int
    server_cpu: int
    wrk_cpu: int
    together: bool
    batch: int


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_revision_arguments(parser)
    parser.add_argument("--rounds", type=int, default=8, help="rounds (default 8)")
    parser.add_argument("--seconds", type=int, default=4, help="seconds per run (default 4)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up, 0: none (1)")
    parser.add_argument("--connections", type=int, default=64, help="wrk -c (default 64)")
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU for the app (default 0)")
    parser.add_argument("--wrk-cpu", type=int, default=1, help="CPU for wrk (default 1)")
    parser.add_argument(
        "--together",
        action="store_true",
        help="run the revisions side by side and alternate (try --seconds 1 --rounds 80)",
    )
    parser.add_argument(
        "--batch", type=int, default=10, help="with --together: rounds between restarts (10)"
    )
    args = parser.parse_args(argv)
    if len(args.revisions) < 2:
        parser.error("name at least two revisions to compare")
    return Options(
        revisions=args.revisions,
        request=args.request,
        answers=revision_answers(parser, args),
        rounds=args.rounds,
        seconds=args.seconds,
        warmup_seconds=args.warmup,
        connections=args.connections,
        items=args.items,
        server_cpu=args.server_cpu,
        wrk_cpu=args.wrk_cpu,
        together=args.together,
        batch=max(1, args.batch),
    )


def add_revision_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments naming what to bake and measure: revisions, request, answers, items."""
    parser.add_argument("revisions", nargs="+", help="git refs, or . for the working tree")
    parser.add_argument("--request", choices=sorted(REQUESTS), default="read")
    parser.add_argument(
        "--answers",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a cookiecutter answer for every bake (default for read and list: cache=none)",
    )
    parser.add_argument("--items", type=int, default=200, help="items to seed (default 200)")


def revision_answers(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, str]:
    """The request's default answers, then those given with --answers."""
    given = dict(answer.split("=", 1) for answer in args.answers if "=" in answer)
    if len(given) != len(args.answers):
        parser.error("--answers takes KEY=VALUE")
    return {**REQUESTS[args.request][2], **given}


def bake_revisions(revisions: list[str], answers: dict[str, str], workdir: Path) -> list[Bake]:
    """Each revision baked with `answers` and installed, in the order given."""
    bakes: list[Bake] = []
    for index, revision in enumerate(revisions):
        template = template_at(revision, workdir / f"template-{index}")
        progress(f"baking and installing {revision} ({describe_answers(answers)})")
        bakes.append(bake_and_install(template, Variant(f"revision-{index}", answers), workdir))
    return bakes


def template_at(revision: str, destination: Path) -> Path:
    """The template as it is at `revision` (a git ref), or as the working tree has it now."""
    if revision == WORKING_TREE:
        return snapshot_template(TEMPLATE, destination)
    git = shutil.which("git") or "git"
    archive = subprocess.run(
        [git, "-C", str(TEMPLATE), "archive", "--format=tar", revision, *TEMPLATE_PARTS],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        raise SystemExit(f"compare: {revision}: {archive.stderr.decode().strip()}")
    destination.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(destination, filter="data")
    return destination


def compare(options: Options, workdir: Path) -> list[list[Sample]]:
    """Bake each revision, start the servers once, seed, then measure round by round.

    Returns the samples of each revision, in the order the revisions were given.
    """
    bakes = bake_revisions(options.revisions, options.answers, workdir)
    with running_backends(bakes[0], cpus={options.wrk_cpu}) as backends:
        conditions = _conditions(options, bakes[0], backends, workdir)
        path, expect, _ = REQUESTS[options.request]
        scenario = Scenario(options.request, options.request, "service", path, expect)
        specs = [
            service_spec(bake, backends, name=f"service-{index}", label=revision)
            for index, (bake, revision) in enumerate(zip(bakes, options.revisions, strict=True))
        ]
        if options.together:
            samples = _rounds_together(options, specs, scenario, conditions, workdir)
        else:
            samples = _rounds_restarted(options, specs, scenario, conditions, workdir)
        progress("stopping the servers, removing the bakes")
    return samples


def _rounds_restarted(
    options: Options,
    specs: list[AppSpec],
    scenario: Scenario,
    conditions: Conditions,
    workdir: Path,
) -> list[list[Sample]]:
    """Each round starts every revision afresh, warms it up and loads it."""
    samples: list[list[Sample]] = [[] for _ in specs]
    for number in range(options.rounds):
        for index in _round_order(number, len(specs)):
            with running(specs[index], cpu=options.server_cpu, workdir=workdir) as app:
                samples[index].append(measure(app, scenario, conditions, number))
            _report(options, number, index, samples[index][-1])
    return samples


def _rounds_together(
    options: Options,
    specs: list[AppSpec],
    scenario: Scenario,
    conditions: Conditions,
    workdir: Path,
) -> list[list[Sample]]:
    """The revisions side by side, warmed up once per batch; the rounds alternate between them."""
    samples: list[list[Sample]] = [[] for _ in specs]
    warm = replace(conditions, load=conditions.warmup or conditions.load, warmup=None)
    loaded = replace(conditions, warmup=None)
    for first in range(0, options.rounds, options.batch):
        with contextlib.ExitStack() as stack:
            apps = [
                stack.enter_context(running(spec, cpu=options.server_cpu, workdir=workdir))
                for spec in specs
            ]
            for app in apps:
                measure(app, scenario, warm, -1)
            for number in range(first, min(first + options.batch, options.rounds)):
                for index in _round_order(number, len(apps)):
                    samples[index].append(measure(apps[index], scenario, loaded, number))
                    _report(options, number, index, samples[index][-1])
    return samples


def _round_order(number: int, revisions: int) -> list[int]:
    """Forwards in even rounds, backwards in odd ones: no revision always goes first."""
    order = list(range(revisions))
    return order if number % 2 == 0 else order[::-1]


def _report(options: Options, number: int, index: int, sample: Sample) -> None:
    progress(
        f"round {number + 1}/{options.rounds} {_label(options, index)}: "
        f"{sample.cpu_us_per_request:.1f} µs CPU/req, {sample.requests_per_second:,.0f} req/s"
    )


def _conditions(options: Options, bake: Bake, backends: Backends, workdir: Path) -> Conditions:
    item_id = seed_through_api(
        bake, backends, cpu=options.server_cpu, items=options.items, workdir=workdir
    )
    load = Load(1, options.connections, options.seconds, options.wrk_cpu)
    warmup = Load(1, options.connections, options.warmup_seconds, options.wrk_cpu)
    return Conditions(item_id, load, warmup if options.warmup_seconds else None, backends)


def markdown(options: Options, samples: list[list[Sample]]) -> str:
    """Per revision: medians and ranges, and the median of its per-round differences."""
    first = samples[0]
    lines = [
        f"### {options.request} ({describe_answers(options.answers)}): "
        f"medians of {options.rounds} rounds",
        "",
        f"wrk -t1 -c{options.connections} for {options.seconds} s on CPU {options.wrk_cpu}; "
        f"the app on CPU {options.server_cpu}; the servers it uses on CPU {options.wrk_cpu}; "
        + (
            f"side by side, restarted every {options.batch} rounds."
            if options.together
            else "restarted each round."
        ),
        "",
        "| Revision | server CPU µs/req | range | vs first, per round | mean ± s.e. "
        "| req/s | range |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for index, own in enumerate(samples):
        cpu = [sample.cpu_us_per_request for sample in own]
        rps = [sample.requests_per_second for sample in own]
        paired = zip(own, first, strict=True)
        deltas = [a.cpu_us_per_request - b.cpu_us_per_request for a, b in paired]
        delta = mean = ""
        if own is not first:
            delta = f"{statistics.median(deltas):+.1f}"
            error = statistics.stdev(deltas) / len(deltas) ** 0.5 if len(deltas) > 1 else 0.0
            mean = f"{statistics.fmean(deltas):+.1f} ± {error:.1f}"
        lines.append(
            f"| {_label(options, index)} | {statistics.median(cpu):.1f} "
            f"| {min(cpu):.0f}-{max(cpu):.0f} | {delta} | {mean} "
            f"| {statistics.median(rps):,.0f} | {min(rps):,.0f}-{max(rps):,.0f} |"
        )
    return "\n".join(lines)


def _label(options: Options, index: int) -> str:
    """The revision as given, numbered when it was given more than once."""
    revision = options.revisions[index]
    return f"{revision} (#{index + 1})" if options.revisions.count(revision) > 1 else revision


def describe_answers(answers: dict[str, str]) -> str:
    return " ".join(f"{key}={value}" for key, value in answers.items()) or "default answers"


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    git = ("git",) if set(options.revisions) != {WORKING_TREE} else ()
    preflight(options.server_cpu, options.wrk_cpu, tools=git)
    samples = in_workdir("bench-compare-", lambda workdir: compare(options, workdir))
    if samples is None:
        return 130
    print(markdown(options, samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
