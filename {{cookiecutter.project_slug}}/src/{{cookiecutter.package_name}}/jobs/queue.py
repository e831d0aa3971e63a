"""The queue as the app and the worker both reach it: arq's pool on the `REDIS_URL` server.

Requests only enqueue and read jobs. Every call is bounded (arq's pool has no reply
timeout of its own) and a Redis that fails or hangs becomes a 503, never a hung request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from arq import ArqRedis
from arq.connections import RedisSettings
from arq.jobs import Job, JobResult, JobStatus
from redis.asyncio import BlockingConnectionPool
from redis.exceptions import RedisError
from structlog.contextvars import get_contextvars

from ..errors import ServiceUnavailableError
from ..settings import Settings
from .retry import JobFailedError

# Seconds one exchange with the queue's Redis may take inside a request.
REDIS_TIMEOUT_SECONDS = 2.0

JobPhase = Literal["queued", "running", "succeeded", "failed"]
# A job that ended in anything but `JobFailedError` (arq's own "max tries exceeded" after a
# worker was stopped mid-job on its last try, say): its text is not meant for clients.
_UNEXPECTED = "The job did not finish; the worker's log has the details."


@dataclass(frozen=True, slots=True)
class JobState:
    """Where a job stands, with the keyword arguments it was enqueued with."""

    phase: JobPhase
    kwargs: dict[str, Any]
    enqueued_at: datetime
    finished_at: datetime | None = None
    reason: str | None = None


def redis_settings(settings: Settings) -> RedisSettings:
    """arq's connection settings for `REDIS_URL`."""
    return RedisSettings.from_dsn(settings.redis_url.get_secret_value())


@asynccontextmanager
async def open_queue(settings: Settings) -> AsyncIterator[ArqRedis]:
    """Open arq's client for the queue; close it on exit.

    Built on a redis-py pool rather than `arq.create_pool`, which waits for Redis to
    answer (retrying for seconds): the service starts without Redis and reports it in
    readiness, and every reply is bounded by a socket timeout.
    """
    pool = BlockingConnectionPool.from_url(
        settings.redis_url.get_secret_value(),
        timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        client_name=settings.service_name,
    )
    queue = ArqRedis(pool, default_queue_name=settings.worker_queue_name)
    try:
        yield queue
    finally:
        await queue.aclose()
        await pool.aclose()


@asynccontextmanager
async def answering(what: str) -> AsyncIterator[None]:
    """Bound a block of Redis calls; a failure or a timeout in it is a 503 naming `what`."""
    try:
        async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
            yield
    except (RedisError, OSError, TimeoutError) as exc:
        raise ServiceUnavailableError(f"The {what} did not answer; retry shortly.") from exc


async def ping(queue: ArqRedis) -> None:
    """Prove the queue's Redis answers (for readiness)."""
    await queue.ping()


async def enqueue(queue: ArqRedis, function: str, *, job_id: str, **kwargs: Any) -> None:
    """Queue a job once per `job_id`, carrying the current request ID into its log lines.

    A job with this ID already queued, running or finished (its result kept) is left as
    it is: arq refuses the second one, which is what makes a repeated enqueue harmless.
    """
    request_id = get_contextvars().get("request_id")
    async with answering("job queue"):
        await queue.enqueue_job(function, _job_id=job_id, request_id=request_id, **kwargs)


async def job_state(queue: ArqRedis, job_id: str) -> JobState | None:
    """The job's phase and outcome; None if the queue never had it or forgot it."""
    # arq spells its own keywords with a leading underscore, so they never clash with a job's.
    job = Job(job_id, queue, _queue_name=queue.default_queue_name)
    async with answering("job queue"):
        info = await job.info()
        status = None if isinstance(info, JobResult) else await job.status()
    if info is None or status is JobStatus.not_found:
        return None
    if isinstance(info, JobResult):
        return _finished(info)
    phase: JobPhase = "running" if status is JobStatus.in_progress else "queued"
    return JobState(phase=phase, kwargs=info.kwargs, enqueued_at=info.enqueue_time)


def _finished(result: JobResult) -> JobState:
    if result.success:
        return JobState("succeeded", result.kwargs, result.enqueue_time, result.finish_time)
    reason = str(result.result) if isinstance(result.result, JobFailedError) else _UNEXPECTED
    return JobState("failed", result.kwargs, result.enqueue_time, result.finish_time, reason)
