"""Plain HTTP/1.1 calls to the apps under test, with the standard library's `http.client`."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any

TIMEOUT = 5.0


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """One keep-alive connection to an app, reopened after the app closes it."""

    def __init__(self, port: int, timeout: float = TIMEOUT) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(
        self, method: str, path: str, payload: object = None, headers: dict[str, str] | None = None
    ) -> Reply:
        """Send one request; a JSON body when `payload` is not None."""
        body = None if payload is None else json.dumps(payload).encode()
        headers = dict(headers or {})
        if body is not None:
            headers["Content-Type"] = "application/json"
        self._connection.request(method, path, body=body, headers=headers)
        response = self._connection.getresponse()
        reply = Reply(
            response.status,
            {name.lower(): value for name, value in response.getheaders()},
            response.read(),
        )
        if response.will_close:
            self._connection.close()
        return reply

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def close(self) -> None:
        self._connection.close()


def get_once(port: int, path: str, timeout: float = TIMEOUT) -> Reply:
    """GET on a fresh connection, closed afterwards."""
    client = Client(port, timeout)
    try:
        return client.get(path)
    finally:
        client.close()
