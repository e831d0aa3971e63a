"""Medians across repetitions, the comparisons and targets, as Markdown and as JSON."""

from __future__ import annotations

import json
import operator
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from apps import AppSpec
from measure import AppSample, Sample
from plan import (
    COMPARISONS,
    RSS_TARGET_MB,
    SCENARIOS,
    STARTUP_TARGET_SECONDS,
    TARGET_APP,
    Comparison,
    Scenario,
)


@dataclass
class Results:
    """Every sample, by scenario key and by app name."""

    scenarios: dict[str, list[Sample]] = field(default_factory=dict)
    apps: dict[str, list[AppSample]] = field(default_factory=dict)

    def add(self, key: str, sample: Sample) -> None:
        self.scenarios.setdefault(key, []).append(sample)

    def add_app(self, name: str, sample: AppSample) -> None:
        self.apps.setdefault(name, []).append(sample)


@dataclass(frozen=True)
class ScenarioSummary:
    key: str
    request: str
    app: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_request: float
    cpu_us_vs_bare: float | None
    queries_per_request: float | None
    errors: int
    # Distinct ways a request after a run differed from what the scenario measures.
    after_run: list[str]
    ratio: float | None
    ratio_to: str | None
    samples: list[Sample]


@dataclass(frozen=True)
class AppSummary:
    name: str
    label: str
    startup_seconds: float
    rss_mb: float
    warning_lines: int
    warnings: dict[str, int]
    samples: list[AppSample]


@dataclass(frozen=True)
class TargetCheck:
    target: str
    measured: float | None
    unit: str
    met: bool | None
    threshold: float
    # For a ratio: the lowest and highest of its per-repetition ratios.
    spread: tuple[float, float] | None = None


@dataclass(frozen=True)
class Summary:
    scenarios: list[ScenarioSummary]
    apps: list[AppSummary]
    targets: list[TargetCheck]


def summarize(results: Results, specs: dict[str, AppSpec]) -> Summary:
    """Reduce the samples to medians; paired ratios; check the targets."""
    ratios = {c.scenario: (c, _paired_ratios(results, c)) for c in COMPARISONS}
    bare_cpu = _median_of(results.scenarios.get("bare_live", []), lambda s: s.cpu_us_per_request)
    scenarios = [
        _scenario(scenario, specs[scenario.app].label, samples, bare_cpu, _ratio(ratios, scenario))
        for scenario in SCENARIOS
        if (samples := results.scenarios.get(scenario.key))
    ]
    apps = [_app(specs[name], samples) for name, samples in results.apps.items()]
    return Summary(scenarios, apps, _targets(ratios, apps))


def _ratio(
    ratios: dict[str, tuple[Comparison, list[float]]], scenario: Scenario
) -> tuple[Comparison, float | None] | None:
    """The scenario's comparison, if it has one, with the median of its paired ratios."""
    if scenario.key not in ratios:
        return None
    comparison, paired = ratios[scenario.key]
    return comparison, statistics.median(paired) if paired else None


def _scenario(
    scenario: Scenario,
    app: str,
    samples: list[Sample],
    bare_cpu: float | None,
    ratio: tuple[Comparison, float | None] | None,
) -> ScenarioSummary:
    cpu = _median(s.cpu_us_per_request for s in samples)
    key = scenario.key
    return ScenarioSummary(
        key=key,
        request=scenario.request,
        app=app,
        requests_per_second=_median(s.requests_per_second for s in samples),
        p50_ms=_median(s.p50_ms for s in samples),
        p99_ms=_median(s.p99_ms for s in samples),
        cpu_us_per_request=cpu,
        cpu_us_vs_bare=None if bare_cpu is None or key == "bare_live" else cpu - bare_cpu,
        queries_per_request=_median_of(samples, lambda s: s.queries_per_request),
        errors=sum(s.errors for s in samples),
        after_run=sorted({s.after_run for s in samples if s.after_run}),
        ratio=None if ratio is None else ratio[1],
        ratio_to=None if ratio is None else ratio[0].baseline_label,
        samples=samples,
    )


def _app(spec: AppSpec, samples: list[AppSample]) -> AppSummary:
    warnings: Counter[str] = Counter()
    for sample in samples:
        warnings.update(sample.log_warnings)
    return AppSummary(
        name=spec.name,
        label=spec.label,
        startup_seconds=_median(s.startup_seconds for s in samples),
        rss_mb=_median(s.rss_mb for s in samples),
        warning_lines=warnings.total(),
        warnings=dict(warnings),
        samples=samples,
    )


def _paired_ratios(results: Results, comparison: Comparison) -> list[float]:
    """The per-repetition ratios: the two sides of each share whatever the machine did then."""
    ours = {s.repetition: s for s in results.scenarios.get(comparison.scenario, [])}
    theirs = {s.repetition: s for s in results.scenarios.get(comparison.baseline, [])}
    return [
        ours[rep].requests_per_second / theirs[rep].requests_per_second
        for rep in sorted(ours.keys() & theirs.keys())
    ]


def _targets(
    ratios: dict[str, tuple[Comparison, list[float]]], apps: list[AppSummary]
) -> list[TargetCheck]:
    """The targets of README.md: ratios at least, startup and memory below."""
    checks = [
        _ratio_check(comparison, comparison.target, paired)
        for comparison, paired in ratios.values()
        if comparison.target is not None
    ]
    service = next((app for app in apps if app.name == TARGET_APP), None)
    startup = None if service is None else service.startup_seconds
    rss = None if service is None else service.rss_mb
    return [
        *checks,
        TargetCheck(
            f"startup to ready < {STARTUP_TARGET_SECONDS} s",
            startup,
            " s",
            _compare(startup, STARTUP_TARGET_SECONDS, operator.lt),
            STARTUP_TARGET_SECONDS,
        ),
        TargetCheck(
            f"RSS per worker < {RSS_TARGET_MB:.0f} MiB",
            rss,
            " MiB",
            _compare(rss, RSS_TARGET_MB, operator.lt),
            RSS_TARGET_MB,
        ),
    ]


def _ratio_check(comparison: Comparison, target: float, paired: list[float]) -> TargetCheck:
    median = statistics.median(paired) if paired else None
    return TargetCheck(
        f"{comparison.description} >= {target:.2f}x",
        median,
        "x",
        _compare(median, target, operator.ge),
        target,
        (min(paired), max(paired)) if paired else None,
    )


def _compare(
    value: float | None, target: float, meets: Callable[[float, float], bool]
) -> bool | None:
    """Whether `meets(value, target)`; None if the value was not measured."""
    return None if value is None else meets(value, target)


def _median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def _median_of(samples: list[Sample], value: Callable[[Sample], float | None]) -> float | None:
    present = [v for s in samples if (v := value(s)) is not None]
    return statistics.median(present) if present else None


def write_json(path: Path, summary: Summary, meta: dict[str, Any]) -> None:
    """Write everything, samples included, for later comparison."""
    document = {"meta": meta, **asdict(summary)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
