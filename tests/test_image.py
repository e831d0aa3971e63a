"""The default bake's image keeps its contract, built and run for real with buildah/podman.

The contract (the generated README's "Run it in a container"): run with no command it
serves the app on $PORT with production settings from the environment; `IMAGE alembic
upgrade head` migrates; it runs as a fixed non-root uid with no build tools inside; it
stops on SIGTERM within the grace period and finishes the requests in flight first. The
base images are the stand-ins of `containers.py`: nothing is pulled from a registry.

Figures of the last run (build time, image size, time to ready, requests lost on
SIGTERM): `python3 -m uv run pytest --cache-show 'image/*'`.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from containers import Engine, base_image_args, cached_build, free_port
from template import TEMPLATE_ROOT, Cookies, default_answers
from test_baked_projects import clean_env

# The group keeps these tests in one process where pytest-xdist honours it (3.8 does not
# under pytest 9: it renames items through an attribute pytest no longer reads); split
# over processes, they share one image through `cached_build` and each runs its own.
pytestmark = [pytest.mark.slow, pytest.mark.container, pytest.mark.xdist_group("image")]

READY_TIMEOUT = 60.0  # seconds from `podman run` to a 200 on /health/ready
GRACE = 20  # seconds the image gives requests in flight after SIGTERM (its default)
IN_FLIGHT = 8  # requests half-sent when SIGTERM arrives
DRAINING = 1.0  # seconds they stay unfinished after SIGTERM
NON_ROOT_UID = "10001"
# What production refuses to start without: the hosts it answers to, a key for writes.
API_KEY = "image-test-key-0123456789abcdef"
PRODUCTION = {"APP_ALLOWED_HOSTS": '["127.0.0.1"]', "APP_API_KEYS": json.dumps([API_KEY])}
WRITER = {"Authorization": f"Bearer {API_KEY}"}
IMAGE_REPOSITORY = "localhost/template-test/orders-service"
BUILD_TOOLS = ("gcc", "cc", "make", "uv", "pip", "pytest", "mypy", "ruff")

Figures = dict[str, float | int]


@dataclass(frozen=True)
class Built:
    """The baked project and its image."""

    root: Path
    image: str


@dataclass(frozen=True)
class Backends:
    database_url: str
    redis_url: str


@dataclass(frozen=True)
class Served:
    """A running container of the image, on the host network."""

    name: str
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def figures(request: pytest.FixtureRequest) -> Iterator[Figures]:
    """What the tests measure, kept in pytest's cache for the report."""
    found: Figures = {}
    yield found
    assert request.config.cache is not None
    for name, value in found.items():
        request.config.cache.set(f"image/{name}", value)


@pytest.fixture(scope="module")
def built(
    cookies_session: Cookies,
    engine: Engine,
    python_standin_image: str,
    uv_standin_image: str,
    system_tmpdir: str,
    figures: Figures,
) -> Built:
    """Bake the defaults, lock them as `make install` does, and build the image.

    Kept after the run (one image of this repository stays on the machine): test processes
    side by side, and reruns with the same files, use it without building again.
    """
    result = cookies_session.bake(template=str(TEMPLATE_ROOT))
    assert result.project_path is not None, repr(result.exception)
    root = result.project_path
    subprocess.run(["uv", "lock", "--quiet"], cwd=root, env=clean_env(system_tmpdir), check=True)
    image, seconds = cached_build(
        engine, root, IMAGE_REPOSITORY, base_image_args(python_standin_image, uv_standin_image)
    )
    if seconds is not None:
        figures["build_seconds"] = round(seconds, 1)
    figures["image_bytes"] = engine.image_size(image)
    return Built(root, image)


def import_script(root: Path, name: str) -> ModuleType:
    """A module of the baked project's scripts/: its throwaway servers."""
    scripts = str(root / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def backends(built: Built, engine: Engine) -> Iterator[Backends]:
    """Throwaway PostgreSQL and Redis on the loopback; the database migrated by the image."""
    postgres = import_script(built.root, "postgres_server")
    redis = import_script(built.root, "redis_server")
    with postgres.running_postgres() as database_url, redis.running_redis() as redis_url:
        engine.run(built.image, "alembic", "upgrade", "head", env={"DATABASE_URL": database_url})
        yield Backends(database_url, redis_url)


@contextlib.contextmanager
def serving(engine: Engine, built: Built, backends: Backends) -> Iterator[tuple[Served, float]]:
    """Run the image with no command; yield it once ready, with the seconds from its start.

    The clock starts when podman has started the container: with vfs storage, creating
    one copies the whole image first, which says nothing about the image.
    """
    port = free_port()
    env = {"PORT": str(port), "DATABASE_URL": backends.database_url,
           "REDIS_URL": backends.redis_url, **PRODUCTION}  # fmt: skip
    with engine.container(built.image, env=env) as name:
        started = time.monotonic()
        served = Served(name, port)
        wait_until_ready(engine, served)
        yield served, time.monotonic() - started


def wait_until_ready(engine: Engine, served: Served) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if request("GET", f"{served.url}/health/ready")[0] == 200:
                return
        time.sleep(0.1)
    logs = engine.podman("logs", served.name)
    raise AssertionError(f"not ready within {READY_TIMEOUT} s; its output:\n{logs[-5000:]}")


@pytest.fixture(scope="module")
def served(engine: Engine, built: Built, backends: Backends, figures: Figures) -> Iterator[Served]:
    with serving(engine, built, backends) as (container, seconds):
        figures["ready_seconds"] = round(seconds, 2)
        yield container


def request(method: str, url: str, body: object = None) -> tuple[int, Any]:
    """One HTTP request; the status and the decoded JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    sent = urllib.request.Request(  # noqa: S310 (our own http:// URL)
        url, data=data, method=method, headers={"Content-Type": "application/json", **WRITER}
    )
    try:
        with urllib.request.urlopen(sent, timeout=10) as answer:  # noqa: S310 (our own URL)
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def test_image_migrates_with_alembic_from_its_virtualenv(
    engine: Engine, built: Built, backends: Backends
) -> None:
    current = engine.run(
        built.image, "alembic", "current", env={"DATABASE_URL": backends.database_url}
    )

    assert "(head)" in current


def test_image_serves_ready_on_port_with_its_database_and_cache(served: Served) -> None:
    status, readiness = request("GET", f"{served.url}/health/ready")

    assert status == 200
    assert readiness["status"] == "ok"
    assert {"database", "cache"} <= set(readiness["checks"])


def test_image_runs_in_production_mode_without_open_docs(served: Served) -> None:
    status, _ = request("GET", f"{served.url}/docs")

    assert status == 404


def test_items_round_trip_through_the_image(served: Served) -> None:
    created_status, created = request(
        "POST", f"{served.url}/api/v1/items", {"name": "boxed", "tags": ["image"]}
    )
    fetched_status, fetched = request("GET", f"{served.url}/api/v1/items/{created['id']}")

    assert created_status == 201
    assert (fetched_status, fetched) == (200, created)


def test_image_runs_as_its_fixed_non_root_uid(engine: Engine, served: Served) -> None:
    assert engine.podman("exec", served.name, "id", "-u").strip() == NON_ROOT_UID


def test_image_healthcheck_passes_with_what_the_image_has(engine: Engine, served: Served) -> None:
    assert engine.healthcheck_status(served.name) == 0


def test_image_carries_oci_labels_and_a_healthcheck(engine: Engine, built: Built) -> None:
    inspected = json.loads(engine.podman("image", "inspect", built.image))[0]
    labels = inspected["Config"]["Labels"]

    assert labels["org.opencontainers.image.title"] == built.root.name
    assert labels["org.opencontainers.image.version"] == default_answers()["version"]
    assert "/health/live" in " ".join(inspected["Healthcheck"]["Test"])


def test_image_has_no_build_tools_or_caches(engine: Engine, built: Built) -> None:
    probe = " ".join(f"command -v {tool};" for tool in BUILD_TOOLS) + " ls -A /root/.cache; true"
    found = engine.run(built.image, "sh", "-c", probe, env={}, user="0")

    assert found.strip() == ""


def start_item_request(port: int, name: str) -> tuple[socket.socket, bytes]:
    """Send the headers and half the body of a POST; return the socket and the rest."""
    body = json.dumps({"name": name, "description": "x" * 200}).encode()
    head = (
        f"POST /api/v1/items HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: {WRITER['Authorization']}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    connection = socket.create_connection(("127.0.0.1", port), timeout=GRACE)
    connection.sendall(head + body[: len(body) // 2])
    return connection, body[len(body) // 2 :]


def finish_request(connection: socket.socket, rest: bytes) -> int:
    """Send the rest of the body and return the status the server answered (0: none)."""
    with connection:
        try:
            connection.sendall(rest)
            status_line = connection.makefile("rb").readline()
        except OSError:
            return 0
    parts = status_line.split()
    return int(parts[1]) if len(parts) > 1 else 0


def test_sigterm_stops_cleanly_after_finishing_requests_in_flight(
    engine: Engine, built: Built, backends: Backends, figures: Figures
) -> None:
    with serving(engine, built, backends) as (server, _):
        pending = [start_item_request(server.port, f"in-flight-{n}") for n in range(IN_FLIGHT)]
        time.sleep(0.5)  # the workers have read the headers: the requests are in flight
        stopping = time.monotonic()
        engine.podman("kill", "--signal", "TERM", server.name)
        time.sleep(DRAINING)
        still_running = engine.is_running(server.name)
        statuses = [finish_request(connection, rest) for connection, rest in pending]
        exit_code = engine.wait(server.name, timeout=GRACE + 10)
        stop_seconds = time.monotonic() - stopping
    figures.update(
        lost_on_sigterm=IN_FLIGHT - statuses.count(201), stop_seconds=round(stop_seconds, 2)
    )

    assert still_running, "the server exited with requests in flight"
    assert statuses == [201] * IN_FLIGHT
    assert exit_code == 0
    assert stop_seconds < GRACE
