"""Readiness: probe every configured dependency concurrently, each within a deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from .schemas import CheckResult, Readiness


@dataclass(frozen=True, slots=True)
class Check:
    """A dependency's probe; it receives the deadline in seconds and raises on failure."""

    probe: Callable[[float], Awaitable[None]]
    required: bool = True


async def check_readiness(checks: Mapping[str, Check], *, deadline: float) -> Readiness:
    """Run every probe at once and summarise."""
    results = await asyncio.gather(*(_run(check, deadline) for check in checks.values()))
    by_name = dict(zip(checks, results, strict=True))
    return Readiness(status=_overall(by_name.values()), checks=by_name)


async def _run(check: Check, deadline: float) -> CheckResult:
    started = time.perf_counter()
    error: str | None = None
    try:
        async with asyncio.timeout(deadline):
            await check.probe(deadline)
    except TimeoutError:
        error = f"no answer within {deadline:g}s"
    except Exception as exc:
        error = type(exc).__name__
    return CheckResult(
        status="ok" if error is None else "failed",
        required=check.required,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
        error=error,
    )


def _overall(results: Iterable[CheckResult]) -> Literal["ok", "degraded", "unavailable"]:
    failed = [result for result in results if result.status == "failed"]
    if any(result.required for result in failed):
        return "unavailable"
    return "degraded" if failed else "ok"
