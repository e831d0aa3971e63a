"""Scheduled upkeep the worker runs: expired idempotency keys leave PostgreSQL.

arq enqueues a cron job at its times on every worker and runs it once (`unique`), so
scaling the workers out does not multiply it.
"""

from __future__ import annotations

from typing import Any

from arq.cron import CronJob, cron

from ..idempotency.postgres import PostgresKeys
from ..log import get_logger

log = get_logger(__name__)

PURGE_IDEMPOTENCY_KEYS = "purge_idempotency_keys"
# Every ten minutes: expired rows are only dead weight, so they need not go at once.
_PURGE_MINUTES = frozenset(range(0, 60, 10))


async def purge_idempotency_keys(ctx: dict[str, Any]) -> int:
    """Delete expired idempotency keys; return how many."""
    keys: PostgresKeys = ctx["idempotency_keys"]
    purged = await keys.purge_expired()
    log.info("idempotency keys purged", count=purged)
    return purged


def housekeeping_jobs() -> list[CronJob]:
    """The worker's scheduled jobs."""
    return [
        cron(
            purge_idempotency_keys,
            name=PURGE_IDEMPOTENCY_KEYS,
            minute=set(_PURGE_MINUTES),
        )
    ]
