"""Log lines: one JSON shape in production, for our lines and the standard library's."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import structlog
from structlog.testing import capture_logs

from {{ cookiecutter.package_name }}.log import configure_logging, get_logger
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings


class Output:
    """A text stream over bytes, like standard output, that tests can read back."""

    def __init__(self) -> None:
        self.stream = io.TextIOWrapper(io.BytesIO(), write_through=True)

    def lines(self) -> list[dict[str, Any]]:
        raw = self.stream.buffer.getvalue().decode()
        return [json.loads(line) for line in raw.splitlines()]


@pytest.fixture
def output() -> Iterator[Output]:
    """JSON logging into a stream of the test's own; console logging again afterwards."""
    out = Output()
    configure_logging(level="INFO", json=True, stream=out.stream)
    yield out
    configure_logging(level="INFO", json=False)


def test_service_lines_are_json_with_timestamp_level_and_context(output: Output) -> None:
    structlog.contextvars.bind_contextvars(request_id="abc")
    try:
        get_logger("tests").info("thing_happened", count=3)
    finally:
        structlog.contextvars.clear_contextvars()

    (line,) = output.lines()
    assert line["event"] == "thing_happened"
    assert line["count"] == 3
    assert line["level"] == "info"
    assert line["request_id"] == "abc"
    assert line["logger_name"] == "tests"
    assert line["timestamp"].endswith("Z")


def test_timestamps_are_iso_8601_in_utc(output: Output) -> None:
    before = datetime.now(UTC)
    get_logger("tests").info("tick")

    (line,) = output.lines()
    stamp = datetime.fromisoformat(line["timestamp"])
    assert line["timestamp"].endswith("Z")
    assert stamp.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= stamp <= datetime.now(UTC)


def test_standard_library_lines_take_the_same_shape(output: Output) -> None:
    logging.getLogger("uvicorn.error").warning("worker %s booted", 7)

    (line,) = output.lines()
    assert line["event"] == "worker 7 booted"
    assert line["level"] == "warning"
    assert line["logger_name"] == "uvicorn.error"
    assert "timestamp" in line


def test_debug_lines_are_dropped_at_info_level(output: Output) -> None:
    get_logger("tests").debug("noise")
    get_logger("tests").info("signal")

    assert [line["event"] for line in output.lines()] == ["signal"]


def test_exceptions_are_rendered_as_structured_frames(output: Output) -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        get_logger("tests").exception("failed")
        logging.getLogger("uvicorn.error").exception("failed too")

    ours, theirs = output.lines()
    for line in (ours, theirs):
        (error,) = line["exception"]
        assert error["exc_type"] == "ValueError"
        assert error["exc_value"] == "boom"
        assert error["frames"][-1]["name"] == "test_exceptions_are_rendered_as_structured_frames"
        assert line["level"] == "error"


@pytest.mark.parametrize(("level", "access_lines"), [("INFO", 1), ("WARNING", 0)])
async def test_the_access_line_follows_the_configured_level(level: str, access_lines: int) -> None:
    app = create_app(Settings(_env_file=None, environment="test", log_level=level))
    transport = httpx.ASGITransport(app=app)
    with capture_logs() as logs:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await client.get("/health/live")

    assert len([line for line in logs if line["event"] == "request"]) == access_lines
