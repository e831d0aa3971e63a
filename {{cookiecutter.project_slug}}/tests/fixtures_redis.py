"""A real Redis for the tests.

`TEST_REDIS_URL` names a server to use; otherwise one throwaway server per test process
is started from the machine's `redis-server`. Each test gets its own keys (and queue), so
tests never see each other's entries, in parallel runs too.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from redis_server import RedisServer


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if url := os.environ.get("TEST_REDIS_URL"):
        yield url
        return
    with RedisServer() as server:
        yield server.url


@pytest.fixture
def redis_settings(redis_url: str) -> dict[str, Any]:
    """Settings that reach the test's Redis, with keys of the test's own."""
    test = f"test-{uuid.uuid4().hex[:12]}"
    return {
        "redis_url": redis_url,
{%- if cookiecutter.cache == "redis" %}
        "cache_key_prefix": f"{test}:",
{%- endif %}
{%- if cookiecutter.worker == "arq" %}
        "worker_queue_name": f"{test}:jobs",
{%- endif %}
{%- if cookiecutter.worker == "arq" and cookiecutter.use_metrics %}
        # No fixed port for test runs to race for; the metrics test picks a free one.
        "worker_metrics_port": 0,
{%- endif %}
    }
