"""Production settings for tests: the values production requires, then the test's own."""

from __future__ import annotations

from typing import Any

from {{ cookiecutter.package_name }}.settings import Settings
{%- if cookiecutter.database == "postgres" %}

from .api_key import KEY_SETTINGS
{%- endif %}

# The host the tests' client sends (its base URL is http://test).
TEST_HOST = "test"
# What production refuses to start without.
REQUIRED: dict[str, Any] = {"allowed_hosts": [TEST_HOST]}
{%- if cookiecutter.database == "postgres" %}
REQUIRED.update(KEY_SETTINGS)
{%- endif %}


def production_settings(overrides: dict[str, Any], **changes: Any) -> Settings:
    """Settings as production validates them, reaching the test's servers."""
    values: dict[str, Any] = {**REQUIRED, **overrides, **changes}
    return Settings(_env_file=None, environment="production", **values)
