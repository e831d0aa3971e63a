"""One measured run: check the answer, warm up, then load while counting CPU and queries."""

from __future__ import annotations

from dataclasses import dataclass

from apps import Running
from backends import Backends
from plan import API_KEY, ITEMS, Expect, Scenario
from probes import Client, Reply, get_once
from wrk import Load, run_wrk

LIVE_BODY = {"status": "ok"}
TAG_POOL = 30
TAGS_PER_ITEM = 3


@dataclass(frozen=True)
class Conditions:
    """What every measured run shares."""

    item_id: int
    load: Load
    warmup: Load | None
    backends: Backends


@dataclass(frozen=True)
class Sample:
    """The figures of one scenario in one repetition."""

    repetition: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    cpu_us_per_request: float
    queries_per_request: float | None
    # What a request right after the run showed, when it was not what the scenario measures.
    after_run: str | None


@dataclass(frozen=True)
class AppSample:
    """The figures of one app in one repetition."""

    repetition: int
    startup_seconds: float
    rss_mb: float
    log_levels: dict[str, int]
    log_warnings: dict[str, int]


def measure(app: Running, scenario: Scenario, conditions: Conditions, repetition: int) -> Sample:
    """Check the app answers as the scenario expects, warm it up, then measure one run."""
    path = scenario.path.format(item_id=conditions.item_id)
    url = f"http://127.0.0.1:{app.port}{path}"
    check(app.port, path, scenario.expect)
    if conditions.warmup is not None:
        run_wrk(url, conditions.warmup)
    backends = conditions.backends
    statements = backends.statements_executed()
    cpu = app.cpu_seconds()
    result = run_wrk(url, conditions.load)
    cpu = app.cpu_seconds() - cpu
    queries = _per_request(statements, backends.statements_executed(), result.requests)
    after_run = problem(app.port, path, scenario.expect)  # e.g. a cache that stopped hitting
    return Sample(
        repetition=repetition,
        requests_per_second=result.requests_per_second,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        requests=result.requests,
        errors=result.errors,
        cpu_us_per_request=cpu * 1e6 / max(result.requests, 1),
        queries_per_request=queries,
        after_run=after_run,
    )


def _per_request(before: int | None, after: int | None, requests: int) -> float | None:
    if before is None or after is None:
        return None
    return (after - before) / max(requests, 1)


def check(port: int, path: str, expect: Expect) -> None:
    """Fail unless the app answers `path` the way the scenario means to measure."""
    found = problem(port, path, expect)
    if found:
        raise RuntimeError(f"GET {path} on port {port}: {found}")


def problem(port: int, path: str, expect: Expect) -> str | None:
    """How the answer to `path` differs from what the scenario measures; None if it does not."""
    reply = get_once(port, path)
    if expect == "cache-hit" and reply.headers.get("x-cache") != "hit":
        reply = get_once(port, path)  # the first read may have been the miss that fills it
    return _mismatch(reply, expect)


def _mismatch(reply: Reply, expect: Expect) -> str | None:
    if reply.status != 200:
        return f"status {reply.status}"
    if expect == "live" and reply.json() != LIVE_BODY:
        return f"body {reply.body!r} is not {LIVE_BODY}"
    if expect == "uncached" and "x-cache" in reply.headers:
        return f"X-Cache: {reply.headers['x-cache']} where no cache was expected"
    if expect == "cache-hit" and reply.headers.get("x-cache") != "hit":
        return f"X-Cache: {reply.headers.get('x-cache')} where a hit was expected"
    return None


def seed(port: int, count: int) -> list[int]:
    """Create `count` items with three tags each through the API; return their IDs."""
    client = Client(port)
    try:
        return [_create_item(client, index) for index in range(count)]
    finally:
        client.close()


def _create_item(client: Client, index: int) -> int:
    tags = [f"tag-{(index + k * 11) % TAG_POOL:02d}" for k in range(TAGS_PER_ITEM)]
    payload = {"name": f"item-{index:04d}", "description": f"Seeded item {index}.", "tags": tags}
    reply = client.request("POST", ITEMS, payload, {"Authorization": f"Bearer {API_KEY}"})
    if reply.status != 201:
        raise RuntimeError(f"seeding item {index}: {reply.status} {reply.body[:300]!r}")
    return int(reply.json()["id"])
