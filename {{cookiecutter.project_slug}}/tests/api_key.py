"""The example API key: every test app accepts it, and the `client` fixture sends it."""

from __future__ import annotations

from typing import Any

TEST_API_KEY = "test-key-for-writes-0123456789abcdef"
KEY_SETTINGS: dict[str, Any] = {"api_keys": [TEST_API_KEY]}
WRITER_HEADERS = {"Authorization": f"Bearer {TEST_API_KEY}"}
