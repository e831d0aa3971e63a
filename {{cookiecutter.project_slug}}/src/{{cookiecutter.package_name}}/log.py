"""Logging: structlog configured once, with standard-library records in the same shape.

The service's own lines go through a filtering bound logger straight to standard output;
records from uvicorn, asyncio and other libraries pass through `ProcessorFormatter` with
the same processors, so every line has one shape: JSON in production, console text
elsewhere, each with an ISO 8601 UTC timestamp and the request's context.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

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
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _renderers(*, json: bool) -> list[Processor]:
    if json:
        # Exceptions as structured frames, then one compact JSON object per line.
        return [
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ]
    return [structlog.dev.ConsoleRenderer()]


def configure_logging(*, level: str, json: bool, stream: TextIO | None = None) -> None:
    """Configure structlog and route the standard library's records through it.

    Lines go to `stream`, standard output by default.
    """
    stream = stream or sys.stdout
    numeric_level = logging.getLevelNamesMapping()[level]
    structlog.configure(
        processors=[*_shared_processors(), *_renderers(json=json)],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        # orjson renders bytes: written to the stream's buffer as they are.
        logger_factory=(
            structlog.BytesLoggerFactory(stream.buffer)
            if json
            else structlog.WriteLoggerFactory(stream)
        ),
        # Cached loggers would ignore any later configuration: a second app in the same
        # process, or `structlog.testing.capture_logs` in tests.
        cache_logger_on_first_use=False,
    )
    _route_standard_library(numeric_level, json=json, stream=stream)


def _route_standard_library(level: int, *, json: bool, stream: TextIO) -> None:
    *preparing, render = _renderers(json=json)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared_processors(), _add_record_logger_name],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *preparing,
            _as_text(render),
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


def get_logger(name: str) -> FilteringBoundLogger:
    """Return a logger whose lines carry `logger_name`, for filtering in aggregators."""
    logger: FilteringBoundLogger = structlog.get_logger(logger_name=name)
    return logger
