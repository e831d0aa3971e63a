"""Production settings for tests: the values production requires, then the test's own."""

from __future__ import annotations

from typing import Any

from {{ cookiecutter.package_name }}.settings import Settings

# The host the tests' client sends (its base URL is http://test).
TEST_HOST = "test"


def production_settings(overrides: dict[str, Any], **changes: Any) -> Settings:
    """Settings as production validates them, reaching the test's servers."""
    values: dict[str, Any] = {"allowed_hosts": [TEST_HOST], **overrides, **changes}
    return Settings(_env_file=None, environment="production", **values)
