"""Refuse answers that would bake a broken project, before any file is written.

Validation only: no file is touched here. Each problem is reported on one line of
stderr (the answer, its value, what would be accepted) and the hook exits 1, which
makes cookiecutter delete the half-made project directory.

Jinja stays inside string literals so the template's tests can import this module
unrendered and call `problems()` directly.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from collections.abc import Callable, Mapping

# Each value renders as a JSON string literal: `tojson` escapes quotes, backslashes
# and line breaks, so an answer such as `say "hi"` still renders into valid Python
# and gets a clear message instead of a SyntaxError. `answers()` decodes them.
# Triple single quotes because the JSON brings its own double quotes (and `tojson`
# writes a single quote as \u0027); fmt: off keeps the formatter from swapping them.
# fmt: off
RENDERED: dict[str, str] = {
    "project_name": r'''{{ cookiecutter.project_name | tojson }}''',
    "project_slug": r'''{{ cookiecutter.project_slug | tojson }}''',
    "package_name": r'''{{ cookiecutter.package_name | tojson }}''',
    "description": r'''{{ cookiecutter.description | tojson }}''',
    "author_name": r'''{{ cookiecutter.author_name | tojson }}''',
    "author_email": r'''{{ cookiecutter.author_email | tojson }}''',
    "version": r'''{{ cookiecutter.version | tojson }}''',
    "python_version": r'''{{ cookiecutter.python_version | tojson }}''',
    "database": r'''{{ cookiecutter.database | tojson }}''',
    "cache": r'''{{ cookiecutter.cache | tojson }}''',
    "use_metrics": r'''{{ cookiecutter.use_metrics | tojson }}''',
    "use_http_client": r'''{{ cookiecutter.use_http_client | tojson }}''',
    "worker": r'''{{ cookiecutter.worker | tojson }}''',
    "rate_limit": r'''{{ cookiecutter.rate_limit | tojson }}''',
    "license": r'''{{ cookiecutter.license | tojson }}''',
    "ci": r'''{{ cookiecutter.ci | tojson }}''',
    "deploy": r'''{{ cookiecutter.deploy | tojson }}''',
}
# fmt: on

SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
PACKAGE = re.compile(r"[a-z_][a-z0-9_]*")
EMAIL = re.compile(r"[^@\s\"\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
VERSION = re.compile(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?")
PYTHON_VERSIONS = ("3.11", "3.12", "3.13")

# Soft keywords of every Python the service may run on, not only the one baking it.
SOFT_KEYWORDS = frozenset(keyword.softkwlist) | {"_", "case", "match", "type"}
# Modules added after the oldest supported Python: the service may outlive it.
NEWER_STDLIB = frozenset({"annotationlib", "compression"})
# Import names the generated project depends on or lays out itself (tests/, scripts/,
# migrations/ sit next to src/ and win on sys.path when pytest or alembic runs; the
# modules in scripts/ are on the test path).
SHADOWED = frozenset(
    {
        "alembic",
        "anyio",
        "arq",
        "asyncpg",
        "dev",
        "dotenv",
        "fastapi",
        "hiredis",
        "redis",
        "httpx",
        "limits",
        "migrations",
        "mypy",
        "orjson",
        "pgbouncer_server",
        "postgres_server",
        "prometheus_client",
        "purgatory",
        "pydantic",
        "pydantic_settings",
        "pytest",
        "pytest_asyncio",
        "redis_server",
        "ruff",
        "scripts",
        "sqlalchemy",
        "stamina",
        "starlette",
        "structlog",
        "system_deps",
        "tests",
        "throwaway",
        "uvicorn",
        "watchfiles",
    }
)
TEXT_ANSWERS = ("project_name", "description", "author_name")
EXAMPLE_PACKAGE = "orders_service"

Rule = tuple[Callable[[Mapping[str, str]], bool], str]

# (condition, message) for combinations of choices the template cannot bake.
# Empty on purpose: every combination of the current options bakes a working
# project. Add a rule here, never an `if` in `problems()`.
UNSUPPORTED: tuple[Rule, ...] = ()


def answers(rendered: Mapping[str, str] = RENDERED) -> dict[str, str]:
    """Decode the rendered answers; booleans become "True"/"False" as in post-gen."""
    return {name: _text(json.loads(value)) for name, value in rendered.items()}


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def _text_problem(name: str, value: str) -> str | None:
    if not value.strip():
        return f"{name} is empty; give a short non-empty text"
    if any(char in value for char in '"\\') or not value.isprintable():
        return (
            f"{name} {value!r} contains a double quote, backslash or control character; "
            "use plain text on one line (it is written into TOML and Python strings)"
        )
    return None


def _slug_problem(slug: str) -> str | None:
    if SLUG.fullmatch(slug):
        return None
    return (
        f"project_slug {slug!r} is not kebab-case; use lowercase letters, digits and "
        "single dashes, starting with a letter, such as 'orders-service'"
    )


# First match wins, so a name gets the most basic reason it fails.
PACKAGE_RULES: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda name: not PACKAGE.fullmatch(name), "is not a lowercase Python identifier"),
    (keyword.iskeyword, "is a Python keyword"),
    (SOFT_KEYWORDS.__contains__, "is a Python soft keyword"),
    (
        lambda name: name in sys.stdlib_module_names or name in NEWER_STDLIB,
        "would shadow a standard-library module",
    ),
    (SHADOWED.__contains__, "would shadow a dependency or a folder of the generated project"),
)


def _package_problem(package: str) -> str | None:
    reason = next((reason for fails, reason in PACKAGE_RULES if fails(package)), None)
    if reason is None:
        return None
    return (
        f"package_name {package!r} {reason}; use a lowercase identifier such as {EXAMPLE_PACKAGE!r}"
    )


def _email_problem(email: str) -> str | None:
    if EMAIL.fullmatch(email):
        return None
    return f"author_email {email!r} is not an email address; use one such as 'you@example.com'"


def _version_problem(version: str) -> str | None:
    if VERSION.fullmatch(version):
        return None
    return (
        f"version {version!r} is not a PEP 440 release number; "
        "use one such as '0.1.0', '1.0rc1' or '2.0.dev3' (no leading 'v')"
    )


def _python_problem(version: str) -> str | None:
    if version in PYTHON_VERSIONS:
        return None
    return f"python_version {version!r} is not supported; use one of {', '.join(PYTHON_VERSIONS)}"


def problems(given: Mapping[str, str], rules: tuple[Rule, ...] = UNSUPPORTED) -> list[str]:
    """Return one line per bad answer or unsupported combination; empty when all is well."""
    found = [_text_problem(name, given[name]) for name in TEXT_ANSWERS]
    found += [
        _slug_problem(given["project_slug"]),
        _package_problem(given["package_name"]),
        _email_problem(given["author_email"]),
        _version_problem(given["version"]),
        _python_problem(given["python_version"]),
    ]
    found += [message for applies, message in rules if applies(given)]
    return [line for line in found if line is not None]


def main() -> int:
    found = problems(answers())
    for line in found:
        print(f"ERROR: {line}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
