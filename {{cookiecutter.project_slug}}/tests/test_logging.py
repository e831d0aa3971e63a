"""Log lines: one JSON shape in production, for our lines and the standard library's."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import select
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import structlog

from {{ cookiecutter.package_name }}.log import AccessLog, configure_logging, get_logger


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


def test_timestamps_are_utc_to_the_microsecond_across_second_boundaries(
    output: Output, monkeypatch: pytest.MonkeyPatch
) -> None:
    moments = [
        datetime(2026, 1, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 2, 1, 0, 0, 0, 0, tzinfo=UTC),
        datetime(2026, 2, 1, 0, 0, 0, 42, tzinfo=UTC),
    ]
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    clock = iter((moment - epoch) // timedelta(microseconds=1) * 1_000 for moment in moments)
    monkeypatch.setattr(time, "time_ns", lambda: next(clock))

    for _ in moments:
        get_logger("tests").info("tick")

    assert [line["timestamp"] for line in output.lines()] == [
        "2026-01-31T23:59:59.999999Z",
        "2026-02-01T00:00:00.000000Z",
        "2026-02-01T00:00:00.000042Z",
    ]


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


def test_the_access_line_is_the_line_a_bound_logger_writes(
    output: Output, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "time_ns", lambda: 1_769_862_896_789_012_000)
    structlog.contextvars.bind_contextvars(request_id="abc", user="u1")
    try:
        AccessLog("tests").request("GET", "/items/{item_id}", 200, 1.25)
        get_logger("tests").info(
            "request", method="GET", path="/items/{item_id}", status=200, duration_ms=1.25
        )
    finally:
        structlog.contextvars.clear_contextvars()

    ours, bound = output.stream.buffer.getvalue().splitlines()
    assert ours == bound
    assert json.loads(ours)["user"] == "u1"


def test_the_access_line_follows_the_configured_level() -> None:
    out = Output()
    configure_logging(level="WARNING", json=True, stream=out.stream)
    try:
        AccessLog("tests").request("GET", "/items", 200, 1.0)
    finally:
        configure_logging(level="INFO", json=False)

    assert out.lines() == []


class Pipe(io.RawIOBase):
    """Raw output that records each write it is given, as a pipe would receive them."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.writes.append(bytes(data))
        return len(self.writes[-1])


@pytest.fixture
def pipe() -> Iterator[Pipe]:
    """JSON logging into a `Pipe`; console logging again afterwards."""
    raw = Pipe()
    # Unbuffered on purpose: each write the logger makes reaches `raw` as it was made.
    stream = io.TextIOWrapper(raw, write_through=True)  # type: ignore[type-var]
    configure_logging(level="INFO", json=True, stream=stream)
    yield raw
    configure_logging(level="INFO", json=False)


async def test_the_lines_of_one_turn_of_the_loop_go_out_together_at_its_end(pipe: Pipe) -> None:
    for number in range(3):
        get_logger("tests").info("turn", number=number)
    assert pipe.writes == []

    await asyncio.sleep(0)

    (written,) = pipe.writes
    assert [json.loads(line)["number"] for line in written.splitlines()] == [0, 1, 2]


async def test_a_turn_is_written_in_whole_lines_of_at_most_pipe_buf_bytes(pipe: Pipe) -> None:
    for number in range(200):
        get_logger("tests").info("turn", number=number, padding="x" * 80)

    await asyncio.sleep(0)

    assert len(pipe.writes) > 1
    assert all(len(chunk) <= select.PIPE_BUF and chunk.endswith(b"\n") for chunk in pipe.writes)
    lines = b"".join(pipe.writes).splitlines()
    assert [json.loads(line)["number"] for line in lines] == list(range(200))


async def test_a_line_from_a_thread_comes_out_after_the_loops_earlier_lines(pipe: Pipe) -> None:
    get_logger("tests").info("in_the_loop")

    await asyncio.to_thread(get_logger("tests").info, "in_a_thread")

    lines = b"".join(pipe.writes).splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["in_the_loop", "in_a_thread"]
