"""Write limits kept in Redis: one count for every instance, and writes go on without it."""

from __future__ import annotations

import time
from typing import Any

import httpx
from structlog.testing import capture_logs

from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings

from .serving import serving
from .silent_server import silent_server

WRITE = "/api/v1/digests"
BODY = {"content": "rate limited"}


def _settings(overrides: dict[str, Any], **values: Any) -> Settings:
    return Settings(_env_file=None, environment="test", **{**overrides, **values})


async def test_every_instance_counts_against_the_same_limit(
    settings_overrides: dict[str, Any],
) -> None:
    settings = _settings(settings_overrides, rate_limit_writes="3/hour")
    async with (
        serving(create_app(settings)) as (first, _),
        serving(create_app(settings)) as (second, _),
    ):
        statuses = [
            (await client.post(WRITE, json=BODY)).status_code
            for client in (first, second, first, second)
        ]

    assert statuses == [200, 200, 200, 429]


async def _timed_writes(client: httpx.AsyncClient, count: int) -> tuple[list[int], float]:
    started = time.perf_counter()
    statuses = [(await client.post(WRITE, json=BODY)).status_code for _ in range(count)]
    return statuses, time.perf_counter() - started


async def test_writes_go_through_uncounted_while_redis_is_down(
    settings_overrides: dict[str, Any], unused_tcp_port: int
) -> None:
    settings = _settings(
        settings_overrides,
        redis_url=f"redis://127.0.0.1:{unused_tcp_port}/0",
        rate_limit_writes="1/hour",
        rate_limit_bypass_seconds=60,
    )
    app = create_app(settings)  # configures logging: capture after it
    with capture_logs() as logs:
        async with serving(app) as (client, _):
            statuses, _ = await _timed_writes(client, 3)

    assert statuses == [200, 200, 200]
    # One failed attempt, then writes skip the count for the bypass period (a minute here).
    assert [log["event"] for log in logs].count("rate_limit_unavailable") == 1


async def test_writes_are_answered_within_the_socket_timeout_while_redis_never_answers(
    settings_overrides: dict[str, Any],
) -> None:
    async with silent_server() as address:
        settings = _settings(
            settings_overrides, redis_url=f"redis://{address}/0", rate_limit_writes="1/hour"
        )
        async with serving(create_app(settings)) as (client, _):
            statuses, took = await _timed_writes(client, 5)

    assert statuses == [200] * 5
    # One write waits out the socket timeout; the rest skip the count while it is bypassed.
    assert took < settings.redis_socket_timeout_seconds + 1.0
