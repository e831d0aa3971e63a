"""Shared fixtures: a private TMPDIR and one bake per combo per worker."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from containers import (
    Engine,
    EngineUnavailableError,
    check_tools,
    python_standin,
    uv_standin,
)
from matrix import Combo
from template import TEMPLATE_ROOT, BakeResult, Cookies

# Read before `private_tmpdir` redirects it.
SYSTEM_TMPDIR = tempfile.gettempdir()
# The engine's settings and locks; the images themselves live in podman's storage.
CONTAINERS_HOME = Path.home() / ".cache" / "fastapi-service-template" / "containers"


@pytest.fixture(scope="session")
def system_tmpdir() -> str:
    """The temp dir the machine gives a user, for the baked projects' own runs.

    Their throwaway PostgreSQL must reach its data dir as the postgres user, and
    pytest's temp dirs (where `private_tmpdir` points) are mode 0700.
    """
    return SYSTEM_TMPDIR


@pytest.fixture(scope="session", autouse=True)
def private_tmpdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point TMPDIR at a session temp dir: cookiecutter never deletes its rendered hooks."""
    tmp = tmp_path_factory.mktemp("tmpdir")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(tmp))
        patch.setattr(tempfile, "tempdir", str(tmp))
        yield tmp


@pytest.fixture(scope="session")
def bake_once(cookies_session: Cookies) -> Callable[[Combo], BakeResult]:
    """Bake each combo at most once per worker; its tests only read the result."""
    results: dict[str, BakeResult] = {}

    def bake(combo: Combo) -> BakeResult:
        if combo.id not in results:
            results[combo.id] = cookies_session.bake(
                extra_context=dict(combo.context), template=str(TEMPLATE_ROOT)
            )
        return results[combo.id]

    return bake


@pytest.fixture(scope="session")
def engine() -> Engine:
    """buildah and podman with this machine's settings (see containers.py)."""
    try:
        check_tools()
    except EngineUnavailableError as exc:
        pytest.fail(str(exc))
    return Engine.create(CONTAINERS_HOME)


@pytest.fixture(scope="session")
def python_standin_image(engine: Engine) -> str:
    """A Debian 12 image with python3 (3.11), standing in for `python:3.11-slim`.

    Built once per machine (debootstrap, about a minute) and reused by name after.
    """
    return python_standin(engine, Path(SYSTEM_TMPDIR))


@pytest.fixture(scope="session")
def uv_standin_image(engine: Engine) -> str:
    """An image holding this environment's uv at /uv, standing in for uv's own image."""
    return uv_standin(engine, Path(SYSTEM_TMPDIR))
