"""Readiness: a failed required check makes the service unavailable; an optional one degrades it."""

from __future__ import annotations

import asyncio

from {{ cookiecutter.package_name }}.api.health.service import Check, check_readiness


async def _ok(_: float) -> None:
    return None


async def _refused(_: float) -> None:
    raise ConnectionRefusedError


async def _hangs(deadline: float) -> None:
    await asyncio.sleep(deadline * 10)


async def test_a_failed_required_check_makes_the_service_unavailable() -> None:
    result = await check_readiness({"database": Check(_refused), "cache": Check(_ok)}, deadline=0.5)

    assert result.status == "unavailable"
    assert result.checks["database"].error == "ConnectionRefusedError"
    assert result.checks["cache"].status == "ok"


async def test_a_failed_optional_check_only_degrades_the_service() -> None:
    result = await check_readiness({"cache": Check(_refused, required=False)}, deadline=0.5)

    assert result.status == "degraded"


async def test_a_check_that_hangs_fails_at_the_deadline() -> None:
    started = asyncio.get_running_loop().time()

    result = await check_readiness({"database": Check(_hangs)}, deadline=0.05)

    assert result.status == "unavailable"
    assert result.checks["database"].error == "no answer within 0.05s"
    assert asyncio.get_running_loop().time() - started < 1


async def test_no_checks_means_ready() -> None:
    assert (await check_readiness({}, deadline=0.1)).status == "ok"
