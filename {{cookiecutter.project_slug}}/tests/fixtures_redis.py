"""A real Redis for the tests.

`TEST_REDIS_URL` names a server to use; otherwise one throwaway server per test process
is started from the machine's `redis-server`. Each test gets its own key prefix, so
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
    return {"redis_url": redis_url, "cache_key_prefix": f"test-{uuid.uuid4().hex[:12]}:"}
