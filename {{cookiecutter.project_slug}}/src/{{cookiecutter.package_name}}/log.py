"""Logging: structlog configured once, with standard-library records in the same shape.

The service's own lines take structlog's fast path (a filtering bound logger writing
straight to stdout); records from uvicorn, asyncio and other libraries pass through
`ProcessorFormatter` with the same processors, so every line has one shape.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import select
import sys
import time
import weakref
from collections.abc import Callable
from typing import Any, BinaryIO, TextIO, cast

import orjson
import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor

# uvicorn's own access log would duplicate the line our request middleware writes.
_SILENCED_LOGGERS = ("uvicorn.access",)
_ROUTED_LOGGERS = ("uvicorn", "uvicorn.error", "asyncio")


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        _UtcTimestamp(),
    ]


class _UtcTimestamp:
    """Add `timestamp`: ISO 8601 in UTC to the microsecond, `2026-01-31T12:34:56.789012Z`.

    structlog's `TimeStamper` formats a datetime for every line, a fifth of the cost of the
    access line; the date and time of day change once a second, so they are formatted once
    a second. The fraction always has six digits (`isoformat` drops a zero one).
    """

    __slots__ = ("_second",)

    def __init__(self) -> None:
        # One tuple, replaced whole: threads logging at once never see half an update.
        self._second: tuple[int, str] = (-1, "")

    def __call__(self, _: Any, __: str, event: EventDict) -> EventDict:
        second, micros = divmod(time.time_ns() // 1_000, 1_000_000)
        formatted_second, text = self._second
        if second != formatted_second:
            text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = (second, text)
        event["timestamp"] = f"{text}.{micros:06d}Z"
        return event


def _json_line(logger: Any, method: str, event: EventDict) -> bytes:
    """The line as JSON; its exception, if it carries one, as a list of structured frames.

    One call rather than structlog's `dict_tracebacks` and `JSONRenderer` in a row: every
    line passed through both, though few carry an exception.
    """
    if "exc_info" in event:
        event = structlog.processors.dict_tracebacks(logger, method, event)
    return orjson.dumps(event, default=str)


class _TurnWriter:
    """The JSON lines' output: the lines of one turn of the event loop written together.

    A line written on its own is a `write` system call: about 8 µs of a probe's ~140 in the
    server (bench/README.md), and a loaded worker finishes many requests in one turn. Lines
    are written at the end of the turn, in order, in chunks of whole lines of at most
    `PIPE_BUF` bytes, so the lines of several workers sharing one pipe never interleave. With
    no loop running in the calling thread (start-up, worker threads, shutdown), they are
    written at once, after any still pending; whatever is pending at exit is written then.
    Records from the standard library go out at once, so within one turn one of them can come
    out ahead of our lines logged before it (each line carries its timestamp).
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._pending: list[bytes] = []
        self._scheduled = False

    @property
    def closed(self) -> bool:
        return self._raw.closed

    def write(self, line: bytes) -> int:
        self._pending.append(line)
        return len(line)

    def flush(self) -> None:
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.drain()
            return
        self._scheduled = True
        loop.call_soon(self.drain)

    def drain(self) -> None:
        self._scheduled = False
        if not self._pending:
            return
        lines, self._pending = self._pending, []
        chunk: list[bytes] = []
        size = 0
        for line in lines:
            if chunk and size + len(line) > select.PIPE_BUF:
                self._raw.write(b"".join(chunk))
                chunk, size = [], 0
            chunk.append(line)
            size += len(line)
        if chunk:
            self._raw.write(b"".join(chunk))
        self._raw.flush()


# One writer per output stream, however often logging is configured; all drained at exit.
_TURN_WRITERS: weakref.WeakValueDictionary[int, _TurnWriter] = weakref.WeakValueDictionary()


def _turn_writer(raw: BinaryIO) -> _TurnWriter:
    if not _TURN_WRITERS:
        atexit.unregister(_drain_turn_writers)  # registered once, not once per configuration
        atexit.register(_drain_turn_writers)
    writer = _TURN_WRITERS.get(id(raw))  # the writer holds `raw`: its id cannot be reused
    if writer is None:
        writer = _TURN_WRITERS[id(raw)] = _TurnWriter(raw)
    return writer


def _drain_turn_writers() -> None:
    for writer in list(_TURN_WRITERS.values()):
        if not writer.closed:  # a test's stream, say, closed before the interpreter exits
            writer.drain()


def _renderer(*, json: bool) -> list[Processor]:
    return [_json_line] if json else [structlog.dev.ConsoleRenderer()]


def configure_logging(*, level: str, json: bool, stream: TextIO | None = None) -> None:
    """Configure structlog and route the standard library's records through it.

    Lines go to `stream`, standard output by default.
    """
    stream = stream or sys.stdout
    numeric_level = logging.getLevelNamesMapping()[level]
    # Replaced in place: loggers already bound hold this very list, so they follow along
    # (and `structlog.testing.capture_logs`, which edits it in place too, reaches them).
    processors = structlog.get_config()["processors"]
    processors[:] = [*_shared_processors(), *_renderer(json=json)]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=(
            # BytesLogger calls `write` and `flush`, all `_TurnWriter` has of BinaryIO.
            structlog.BytesLoggerFactory(cast(BinaryIO, _turn_writer(stream.buffer)))
            if json
            else structlog.WriteLoggerFactory(stream)
        ),
        # Cached loggers would ignore any later configuration: a second app in the same
        # process, or `structlog.testing.capture_logs` in tests.
        cache_logger_on_first_use=False,
    )
    _route_standard_library(numeric_level, json=json, stream=stream)


def _route_standard_library(level: int, *, json: bool, stream: TextIO) -> None:
    renderer = _renderer(json=json)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared_processors(), _add_record_logger_name],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *renderer[:-1],
            _as_text(renderer[-1]),
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _ROUTED_LOGGERS:
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    for name in _SILENCED_LOGGERS:
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = False


def _add_record_logger_name(_: Any, __: str, event: EventDict) -> EventDict:
    event["logger_name"] = event["_record"].name
    return event


def _as_text(render: Processor) -> Processor:
    """Adapt a renderer for `logging`, whose handlers write text, not bytes."""

    def render_text(logger: Any, method: str, event: Any) -> str:
        rendered = render(logger, method, event)
        return rendered.decode() if isinstance(rendered, bytes) else str(rendered)

    return render_text


class AccessLog:
    """The access line, one per request: what `get_logger(name).info("request", ...)` writes.

    The same processors (the configured list itself, which `structlog.testing.capture_logs`
    edits in place) and the same output, byte for byte; without the bound logger's layers
    around them (keyword arguments packed and unpacked, its context copied, the result's type
    checked, the output method looked up): about 11,000 instructions of every request, 3% of
    a probe's (bench/README.md). Built after `configure_logging`, like a bound logger.
    """

    __slots__ = ("_enabled", "_logger", "_logger_name", "_processors", "_write")

    def __init__(self, logger_name: str) -> None:
        config = structlog.get_config()
        self._processors: list[Processor] = config["processors"]
        self._logger: Any = config["logger_factory"]()
        self._write: Callable[..., Any] = self._logger.info
        self._enabled = get_logger(logger_name).is_enabled_for(logging.INFO)
        self._logger_name = logger_name

    def request(self, method: str, path: str, status: int, duration_ms: float) -> None:
        if not self._enabled:
            return
        # In the order a bound logger builds it: its context, the keywords, then the event.
        event: Any = {
            "logger_name": self._logger_name,
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": duration_ms,
            "event": "request",
        }
        try:
            for processor in self._processors:
                event = processor(self._logger, "info", event)
        except structlog.DropEvent:
            return
        # The shapes a chain may end in, passed on as structlog passes them.
        if isinstance(event, tuple):
            args, kwargs = event
            self._write(*args, **kwargs)
        elif isinstance(event, dict):
            self._write(**event)
        else:
            self._write(event)


def get_logger(name: str) -> FilteringBoundLogger:
    """Return a logger whose lines carry `logger_name`, for filtering in aggregators."""
    logger: FilteringBoundLogger = structlog.get_logger(logger_name=name)
    return logger
