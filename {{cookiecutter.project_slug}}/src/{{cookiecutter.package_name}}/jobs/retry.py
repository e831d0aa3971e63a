"""What a failed try leads to: another try later, or a failure recorded with its reason.

Errors worth retrying are those of something briefly unavailable: an upstream that timed
out or answered 5xx (`UpstreamError`), a database or Redis that did not answer
(`ServiceUnavailableError`), a dropped connection. Anything else, a refused or bad
request above all, fails at once: another try would only repeat it.
"""

from __future__ import annotations

import random

from arq import Retry

from ..errors import AppError, ServiceUnavailableError, UpstreamError
from ..settings import Settings

TRANSIENT: tuple[type[Exception], ...] = (
    UpstreamError,
    ServiceUnavailableError,
    TimeoutError,
    ConnectionError,
)
# Doubling stops here long before any delay could overflow a float.
_MAX_DOUBLINGS = 32


class JobFailedError(Exception):
    """A job's final outcome when it cannot succeed; the message is the reason clients see."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def backoff(job_try: int, *, first: float, cap: float) -> float:
    """Seconds to wait after try `job_try` failed: doubling from `first` up to `cap`.

    Half of each delay is random ("equal jitter"): workers that failed together, say when
    the database restarted, then come back spread out, and each still waits at least half.
    """
    delay = min(cap, first * (1 << min(job_try - 1, _MAX_DOUBLINGS)))
    return delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 - spreading, not a secret


def after_failure(error: Exception, *, job_try: int, settings: Settings) -> Exception:
    """What to raise to arq for a failed try: `Retry` while worth it, else `JobFailedError`."""
    if isinstance(error, TRANSIENT) and job_try < settings.worker_max_tries:
        return Retry(
            defer=backoff(
                job_try,
                first=settings.worker_retry_delay_seconds,
                cap=settings.worker_retry_max_delay_seconds,
            )
        )
    return JobFailedError(_reason(error, tries=settings.worker_max_tries))


def _reason(error: Exception, *, tries: int) -> str:
    if isinstance(error, AppError):
        return error.detail
    if isinstance(error, TRANSIENT):
        return f"{type(error).__name__} on each of {tries} tries."
    return "The job failed unexpectedly; the worker's log has the details."
