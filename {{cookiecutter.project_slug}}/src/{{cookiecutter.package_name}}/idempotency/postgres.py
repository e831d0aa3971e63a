"""Idempotency keys kept in PostgreSQL (table `idempotency_keys`): as durable as the orders.

A claim is one `INSERT ... ON CONFLICT`: of concurrent requests with one key exactly one
inserts the row, or takes over a row whose lease or lifetime ran out.
"""

from __future__ import annotations

from ..db import Database
from .keys import LEASE_SECONDS, Holder, StoredResponse

_CLAIM = """
INSERT INTO idempotency_keys AS k (key, fingerprint, expires_at)
VALUES ($1, $2, now() + make_interval(secs => $3))
ON CONFLICT (key) DO UPDATE
SET fingerprint = EXCLUDED.fingerprint, response_status = NULL, response_body = NULL,
    response_location = NULL, expires_at = EXCLUDED.expires_at
WHERE k.expires_at <= now()
RETURNING key
"""
_HOLDER = """
SELECT fingerprint, response_status, response_body, response_location,
       greatest(extract(epoch FROM expires_at - now()), 0)::float8 AS seconds_left
FROM idempotency_keys
WHERE key = $1
"""
_COMPLETE = """
UPDATE idempotency_keys
SET response_status = $2, response_body = $3, response_location = $4,
    expires_at = now() + make_interval(secs => $5)
WHERE key = $1 AND fingerprint = $6
"""
_RELEASE = "DELETE FROM idempotency_keys WHERE key = $1 AND response_status IS NULL"
# A batch at a time, so no one statement holds many row locks or runs for long; rows a
# claim is taking over right now are skipped, and it renews them.
_PURGE = """
DELETE FROM idempotency_keys
WHERE key IN (
    SELECT key FROM idempotency_keys
    WHERE expires_at <= now()
    LIMIT $1
    FOR UPDATE SKIP LOCKED
)
"""


class PostgresKeys:
    """`KeyStore` over the service's database."""

    def __init__(self, db: Database, *, ttl: float, lease: float = LEASE_SECONDS) -> None:
        self._db = db
        self._ttl = ttl
        self._lease = lease

    async def claim(self, key: str, fingerprint: str) -> Holder | None:
        if await self._db.fetchrow(_CLAIM, key, fingerprint, self._lease) is not None:
            return None
        row = await self._db.fetchrow(_HOLDER, key)
        if row is None:  # released between the two statements: ask the client to retry
            return Holder(fingerprint, None, 0.0)
        response = None
        if row["response_status"] is not None:
            response = StoredResponse(
                row["response_status"], row["response_body"], row["response_location"]
            )
        return Holder(row["fingerprint"], response, row["seconds_left"])

    async def complete(self, key: str, fingerprint: str, response: StoredResponse) -> None:
        await self._db.execute(
            _COMPLETE,
            key,
            response.status,
            response.body,
            response.location,
            self._ttl,
            fingerprint,
        )

    async def release(self, key: str) -> None:
        await self._db.execute(_RELEASE, key)

    async def purge_expired(self, batch: int = 1000) -> int:
        """Delete the keys whose lifetime ended; return how many went.

        A claim reuses an expired key's row, but a key never sent again would stay forever.
        """
        purged = 0
        while True:
            status = await self._db.execute(_PURGE, batch)  # "DELETE <count>"
            deleted = int(status.rpartition(" ")[2])
            purged += deleted
            if deleted < batch:
                return purged
