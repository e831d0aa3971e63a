"""The summary as small Markdown tables, for a terminal or a pull request."""

from __future__ import annotations

from collections.abc import Sequence

from report import AppSummary, ScenarioSummary, Summary, TargetCheck
from wrk import Load

_REQUEST_HEADER = (
    "Request",
    "App",
    "req/s",
    "ratio",
    "p50 ms",
    "p99 ms",
    "server CPU µs/req",
    "CPU vs bare",
    "queries/req",
)


def markdown(
    summary: Summary, *, repetitions: int, load: Load, warmup: Load | None, notes: list[str]
) -> str:
    """Three tables (requests, processes, targets), failed requests if any, and notes."""
    warm = f", after a {warmup.seconds} s warm-up" if warmup else ""
    parts = [
        f"### Requests ({_medians(repetitions)})\n",
        f"wrk -t{load.threads} -c{load.connections} for {load.seconds} s on CPU {load.cpu}{warm};"
        " one app at a time under uvicorn on its own CPU.\n",
        _table(_REQUEST_HEADER, [_request_row(s) for s in summary.scenarios]),
        *_failures(summary.scenarios),
        *_after_run(summary.scenarios),
        f"\n### Processes ({_medians(repetitions)})\n",
        _table(
            ("App", "startup to ready s", "RSS MiB", "warning/error log lines"),
            [_app_row(app) for app in summary.apps],
        ),
        *_warnings(summary.apps),
        "\n### Targets\n",
        _table(
            ("Target", "Measured", "per-run range", "Met"),
            [_target_row(t) for t in summary.targets],
        ),
        *_straddling(summary.targets),
        "",
        *notes,
    ]
    return "\n".join(parts)


def _medians(repetitions: int) -> str:
    return "one repetition" if repetitions == 1 else f"medians of {repetitions} interleaved runs"


def _request_row(s: ScenarioSummary) -> list[str]:
    ratio = "" if s.ratio is None else f"{s.ratio:.2f}x {s.ratio_to}"
    flag = " †" if s.after_run else ""
    return [
        s.request + flag,
        s.app,
        f"{s.requests_per_second:,.0f}",
        ratio,
        f"{s.p50_ms:.2f}",
        f"{s.p99_ms:.2f}",
        f"{s.cpu_us_per_request:.0f}",
        "" if s.cpu_us_vs_bare is None else f"{s.cpu_us_vs_bare:+.0f}",
        "n/a" if s.queries_per_request is None else f"{s.queries_per_request:.2f}",
    ]


def _app_row(app: AppSummary) -> list[str]:
    return [app.label, f"{app.startup_seconds:.2f}", f"{app.rss_mb:.1f}", str(app.warning_lines)]


def _figure(value: float, check: TargetCheck) -> str:
    """Two decimals, or four when two would round a figure onto the other side of its target."""
    shown = f"{value:.2f}"
    if (float(shown) >= check.threshold) != (value >= check.threshold):
        return f"{value:.4f}"
    return shown


def _target_row(check: TargetCheck) -> list[str]:
    met = {True: "yes", False: "**no**", None: "n/a"}[check.met]
    measured = "n/a" if check.measured is None else _figure(check.measured, check) + check.unit
    spread = "" if check.spread is None else f"{check.spread[0]:.2f}-{check.spread[1]:.2f}"
    return [check.target, measured, spread, met]


def _straddling(targets: list[TargetCheck]) -> list[str]:
    """A warning when some repetitions fell on either side of a target."""
    straddling = [
        check.target
        for check in targets
        if check.spread is not None and check.spread[0] < check.threshold <= check.spread[1]
    ]
    if not straddling:
        return []
    return [
        "",
        f"Repetitions fell on both sides of: {'; '.join(straddling)}. The machine drifted by more "
        "than the margin during this run: a single run does not settle these (more "
        "`--repetitions`).",
    ]


def _after_run(scenarios: list[ScenarioSummary]) -> list[str]:
    lines = [f"- {s.key}: {problem}" for s in scenarios for problem in s.after_run]
    return (
        ["\n**Right after a run the answer was not what was measured:**", *lines] if lines else []
    )


def _warnings(apps: list[AppSummary]) -> list[str]:
    lines = [
        f"- {a.name}: {what} ({n} lines)" for a in apps for what, n in sorted(a.warnings.items())
    ]
    return ["\nWarnings and errors the apps logged:", *lines] if lines else []


def _failures(scenarios: list[ScenarioSummary]) -> list[str]:
    failed = [f"{s.errors} in {s.key}" for s in scenarios if s.errors]
    return (
        [f"\n**Failed requests (non-2xx or socket errors): {', '.join(failed)}**"] if failed else []
    )


def _table(header: Sequence[str], rows: list[list[str]]) -> str:
    numeric = [all(_numeric(row[i]) for row in rows) for i in range(len(header))]
    align = ["---:" if is_number else "---" for is_number in numeric]
    lines = [header, align, *rows]
    return "\n".join(f"| {' | '.join(cells)} |" for cells in lines)


def _numeric(cell: str) -> bool:
    return (
        cell == "" or cell == "n/a" or cell.lstrip("+-").replace(",", "").replace(".", "").isdigit()
    )
