"""The connection budget: every worker of every replica holds a pool of its own.

Replicas x workers x `APP_DB_POOL_MAX_SIZE` connections may be open at once, and they must
fit under what PostgreSQL allows this role: `max_connections` less the superuser's reserve
and `APP_DB_RESERVED_CONNECTIONS` (migrations, a console, monitoring), and the role's own
`CONNECTION LIMIT`. Past it, new connections are refused under load, when they are needed
most. The check warns rather than refusing to start: a pod that crash-loops when an
autoscaler adds it helps nobody, while the running ones keep serving.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from .log import get_logger
from .settings import Settings

log = get_logger(__name__)

_LIMITS = """
SELECT current_setting('max_connections')::int AS max_connections,
       current_setting('superuser_reserved_connections')::int AS superuser_reserved,
       (SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user) AS role_limit
"""


@dataclass(frozen=True, slots=True)
class Budget:
    """How many connections the service may hold, and how many it may open at most."""

    allowed: int
    wanted: int

    @property
    def fits(self) -> bool:
        return self.wanted <= self.allowed


def budget(
    settings: Settings, *, max_connections: int, superuser_reserved: int, role_limit: int
) -> Budget:
    """The budget for these settings on a server with these limits (`role_limit` -1: none)."""
    allowed = max_connections - superuser_reserved - settings.db_reserved_connections
    if role_limit >= 0:
        allowed = min(allowed, role_limit)
    return Budget(allowed=allowed, wanted=settings.db_connections_wanted)


async def warn_if_over_budget(pool: asyncpg.Pool, settings: Settings) -> Budget:
    """Read the server's limits and log a warning, with the numbers, if the pools overflow."""
    (row,) = await pool.fetch(_LIMITS)
    found = budget(
        settings,
        max_connections=row["max_connections"],
        superuser_reserved=row["superuser_reserved"],
        role_limit=row["role_limit"],
    )
    if not found.fits:
        log.warning(
            "database_connection_budget_exceeded",
            wanted=found.wanted,
            allowed=found.allowed,
            replicas=settings.replicas,
            workers=settings.workers,
            pool_max_size=settings.db_pool_max_size,
            max_connections=row["max_connections"],
            role_limit=row["role_limit"],
        )
    return found
