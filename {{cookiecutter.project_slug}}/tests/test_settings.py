"""Settings validate on construction and refuse unsafe production values."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.settings import Settings

from .production import production_settings


def test_settings_are_read_from_prefixed_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("APP_LOG_JSON", "true")
    monkeypatch.setenv("APP_ALLOWED_HOSTS", '["api.example.com"]')

    settings = Settings(_env_file=None)

    assert settings.log_level == "WARNING"
    assert settings.allowed_hosts == ["api.example.com"]
    assert settings.renders_json_logs is True
{%- if cookiecutter.database == "postgres" %}


def test_the_database_url_is_read_from_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:s3cret@db:5432/orders")

    settings = Settings(_env_file=None)

    assert settings.database_url.get_secret_value() == "postgresql://app:s3cret@db:5432/orders"
    assert "s3cret" not in repr(settings)
{%- endif %}


def test_development_logs_to_the_console_and_production_logs_json() -> None:
    assert Settings(_env_file=None, environment="development").renders_json_logs is False
    assert production_settings({}).renders_json_logs is True


@pytest.mark.parametrize("password", ["short", "changeme"])
def test_production_refuses_a_weak_docs_password(password: str) -> None:
    with pytest.raises(ValidationError, match="APP_DOCS_PASSWORD"):
        Settings(
            _env_file=None,
            environment="production",
            allowed_hosts=["*"],
            docs_username="u",
            docs_password=password,
        )


def test_production_refuses_debug_logging() -> None:
    with pytest.raises(ValidationError, match="DEBUG"):
        Settings(_env_file=None, environment="production", allowed_hosts=["*"], log_level="DEBUG")


def test_docs_credentials_come_in_pairs() -> None:
    with pytest.raises(ValidationError, match="both"):
        Settings(_env_file=None, docs_username="only-a-user")


def test_an_unknown_environment_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, environment="staging")


def test_production_refuses_to_start_without_allowed_hosts() -> None:
    with pytest.raises(ValidationError, match="APP_ALLOWED_HOSTS"):
        Settings(_env_file=None, environment="production")


def test_production_refuses_a_wildcard_cors_origin() -> None:
    with pytest.raises(ValidationError, match="APP_CORS_ORIGINS"):
        Settings(_env_file=None, environment="production", allowed_hosts=["*"], cors_origins=["*"])
