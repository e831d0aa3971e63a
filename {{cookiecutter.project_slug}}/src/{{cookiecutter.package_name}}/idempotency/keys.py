"""The policy of idempotency keys, whatever stores them.

A request with a key first claims it, for a short lease. The one that claims it makes the
answer and keeps it with the key for `APP_IDEMPOTENCY_KEY_TTL_SECONDS`; a retry with the
same request gets that answer again. A retry while the first is still being answered gets
a 409 with `Retry-After`; the same key with another request, a 422. A request that dies
holding the lease leaves it to expire, so a retry can then claim the key.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel

from .exceptions import InvalidKeyError, KeyInFlightError, KeyReusedError

# Seconds a claim holds the key while its answer is made: enqueueing takes milliseconds.
LEASE_SECONDS = 10.0
MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The answer given to the request that claimed a key, to give again on a retry."""

    status: int
    body: bytes
    location: str


@dataclass(frozen=True, slots=True)
class Holder:
    """What holds a key: the request's fingerprint, and its answer once made."""

    fingerprint: str
    response: StoredResponse | None
    seconds_left: float


class KeyStore(Protocol):
    """Where keys are kept: claims are atomic, so of concurrent requests one wins."""

    async def claim(self, key: str, fingerprint: str) -> Holder | None:
        """Take the key for this request (None), or say what holds it."""

    async def complete(self, key: str, fingerprint: str, response: StoredResponse) -> None:
        """Keep the answer with the key, for the key's lifetime."""

    async def release(self, key: str) -> None:
        """Give up a claim whose answer could not be made, so a retry can try again."""


# A key's characters: printable ASCII without space, quote or backslash (a structured-field
# string needs no escapes then). Sent bare, or quoted as the IETF draft writes it.
_KEY = re.compile(r"[!#-\[\]-~]" + "{1," + str(MAX_KEY_LENGTH) + "}")
# The same, for the OpenAPI document.
KEY_SCHEMA: dict[str, Any] = {
    "maxLength": MAX_KEY_LENGTH + 2,
    "pattern": f'^("{_KEY.pattern}"|{_KEY.pattern})$',
}


def parse_key(value: str) -> str:
    """The key of an `Idempotency-Key` header, as a structured-field string or bare text."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not value:
        raise InvalidKeyError("The Idempotency-Key header is empty.")
    if len(value) > MAX_KEY_LENGTH:
        raise InvalidKeyError(f"The Idempotency-Key is longer than {MAX_KEY_LENGTH} characters.")
    if not _KEY.fullmatch(value):
        raise InvalidKeyError(
            "The Idempotency-Key may hold printable ASCII only, without spaces, quotes"
            " or backslashes."
        )
    return value


def fingerprint(request: BaseModel) -> str:
    """What makes two requests the same: their validated content."""
    return hashlib.sha256(request.model_dump_json().encode()).hexdigest()


async def once(
    keys: KeyStore,
    *,
    key: str,
    fingerprint: str,
    respond: Callable[[], Awaitable[StoredResponse]],
) -> StoredResponse:
    """`respond()` for the first request with this key; its answer for the same one again."""
    holder = await keys.claim(key, fingerprint)
    if holder is None:
        return await _respond_and_keep(keys, key, fingerprint, respond)
    if holder.fingerprint != fingerprint:
        raise KeyReusedError
    if holder.response is None:
        raise KeyInFlightError(retry_after=max(math.ceil(holder.seconds_left), 1))
    return holder.response


async def _respond_and_keep(
    keys: KeyStore, key: str, fingerprint: str, respond: Callable[[], Awaitable[StoredResponse]]
) -> StoredResponse:
    try:
        response = await respond()
    except Exception:
        await keys.release(key)
        raise
    await keys.complete(key, fingerprint, response)
    return response
