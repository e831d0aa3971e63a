"""Who may write: an example to replace with the organisation's identity provider.

Writes need one of the keys in `APP_API_KEYS`, sent as `Authorization: Bearer <key>` or
`X-API-Key: <key>`; reads stay open. With no key configured every write is refused (and
production refuses to start), so a forgotten setting never opens the API.

To use OIDC or JWT instead, replace `require_writer` with a dependency that validates the
token (signature, issuer, audience, expiry) with a maintained library such as PyJWT or
Authlib, and keep its name: the routes only declare `dependencies=[WriteAccess]`.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from .deps import AppSettings

# auto_error=False: a missing credential is our 401 problem, not FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="An API key from APP_API_KEYS.")
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key from APP_API_KEYS."
)

Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
ApiKey = Annotated[str | None, Depends(_api_key)]


async def require_writer(settings: AppSettings, bearer: Bearer, api_key: ApiKey) -> None:
    """Let the request through only with a known API key."""
    presented = bearer.credentials if bearer is not None else api_key
    if presented is None or not _is_known(presented, settings):
        raise HTTPException(
            401, "A valid API key is required to write.", {"WWW-Authenticate": "Bearer"}
        )


def _is_known(presented: str, settings: AppSettings) -> bool:
    # Every key is compared, in constant time, so timing tells neither which key is close
    # nor how many there are before a match.
    candidate = presented.encode()
    matches = [
        secrets.compare_digest(candidate, key.get_secret_value().encode())
        for key in settings.api_keys
    ]
    return any(matches)


WriteAccess = Depends(require_writer)
