"""Credentials a client sends never reach a log line, at any level, nor an answer."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from {{ cookiecutter.package_name }}.settings import Settings

TOKEN = "tok-3f9c1d7e5b"
COOKIE = "ck-8a2e6b4f0d"
PASSWORD = "pw-51c7e9a3b2"
SECRETS = (TOKEN, COOKIE, PASSWORD)


@pytest.fixture
def settings(settings_overrides: dict[str, Any]) -> Settings:
    """Every line the app can write: DEBUG and up."""
    return Settings(_env_file=None, environment="test", log_level="DEBUG", **settings_overrides)


@pytest.mark.parametrize("content", ["accepted", 5], ids=["served", "refused"])
async def test_credentials_appear_in_no_log_line_and_no_answer(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, content: object
) -> None:
    caplog.set_level(logging.DEBUG)
    with capture_logs(processors=[merge_contextvars]) as lines:
        response = await client.post(
            "/api/v1/digests",
            json={"content": content, "password": PASSWORD},
            headers={"Authorization": f"Bearer {TOKEN}", "Cookie": f"session={COOKIE}"},
        )

    # Our lines with their context, and the standard library's records (uvicorn, httpx...).
    written = repr(lines) + "".join(repr(vars(record)) for record in caplog.records)
    assert "'request'" in written  # the access line was written, and searched
    for secret in SECRETS:
        assert secret not in written
        assert secret not in response.text
