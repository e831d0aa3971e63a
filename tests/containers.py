"""Build and run OCI images with buildah and podman: no Docker engine, no image registry.

No registry is reachable from the test machines, so every image a Dockerfile pulls is a
build argument and the tests hand it a stand-in built here: a Debian 12 (bookworm) minbase
tree with python3 (3.11) made by debootstrap from Debian's own packages, imported as one
layer, and a `FROM scratch` image carrying the uv binary of this test environment. Each
stand-in is built once per machine and found again by its name, whose tag is a digest of
its recipe, so one CI job (or a developer's machine) pays for debootstrap once.

The engine settings are the ones that work on these machines: `vfs` storage, buildah's
`chroot` isolation and the host network, podman with `runc` (crun fails on rlimits and
hybrid cgroups), no default ulimits and cgroupfs. The host's CA bundle is mounted at a
path of its own and named by `SSL_CERT_FILE`, for machines that reach the package index
through a TLS-inspecting proxy; it is never mounted over `/etc/ssl/certs`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uv

TOOLS = ("buildah", "podman", "runc", "debootstrap")
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
CA_IN_CONTAINER = "/host-ca.crt"
CONTAINERS_CONF = """\
[containers]
default_ulimits = []
netns = "host"

[engine]
cgroup_manager = "cgroupfs"
"""

# What the stand-in Python base is made of; its digest tags the image.
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
PACKAGES = ("python3", "python3-venv", "ca-certificates")
RECIPE_VERSION = "2"  # bump when the way the stand-in is made changes
PYTHON_STANDIN = "localhost/template-standin/python"
UV_STANDIN = "localhost/template-standin/uv"
RECIPE_LABEL = "org.example.template.standin-recipe"
# What a build prints when the package index was out of reach for a moment.
NETWORK_FLAKES = ("Temporary failure in name resolution", "error resolving DNS")


class EngineUnavailableError(RuntimeError):
    """buildah/podman cannot run here; the message says what to install or change."""


def check_tools() -> None:
    """Raise with the install command when a tool is missing or we are not root."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise EngineUnavailableError(
            f"{', '.join(missing)} not found; install them (Debian: "
            f"apt-get install {' '.join(TOOLS)}); .ci/run does"
        )
    if os.geteuid() != 0:
        raise EngineUnavailableError("debootstrap and vfs image storage need root here")


class EngineError(RuntimeError):
    """A buildah or podman command failed; the message ends with its output."""

    def __init__(self, command: list[str], code: int, output: str) -> None:
        super().__init__(f"{' '.join(command)} exited {code}:\n{output[-8000:]}")


@dataclass(frozen=True)
class Engine:
    """buildah and podman with this machine's settings, in a directory of their own."""

    home: Path

    @classmethod
    def create(cls, home: Path) -> Engine:
        """Write the containers.conf both tools read and return the engine using it."""
        home.mkdir(parents=True, exist_ok=True)
        (home / "containers.conf").write_text(CONTAINERS_CONF)
        return cls(home)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "CONTAINERS_CONF": str(self.home / "containers.conf")}

    def podman(self, *args: str, check: bool = True, timeout: float = 300) -> str:
        """Run one podman command and return its standard output."""
        return self._run(
            ["podman", "--storage-driver", "vfs", "--runtime", "runc", *args],
            check=check,
            timeout=timeout,
        )

    def buildah(self, *args: str, timeout: float = 900) -> str:
        """Run one buildah command and return its standard output."""
        return self._run(["buildah", "--storage-driver", "vfs", *args], timeout=timeout)

    def _run(self, command: list[str], *, check: bool = True, timeout: float = 300) -> str:
        done = subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and done.returncode != 0:
            raise EngineError(command, done.returncode, done.stdout + done.stderr)
        return done.stdout

    def _exit_code(self, *podman_args: str) -> int:
        command = ["podman", "--storage-driver", "vfs", "--runtime", "runc", *podman_args]
        return subprocess.run(command, env=self.env, capture_output=True, check=False).returncode

    def image_exists(self, name: str) -> bool:
        return self._exit_code("image", "exists", name) == 0

    def build(self, context: Path, tag: str, build_args: Mapping[str, str]) -> float:
        """Build `context`'s Dockerfile as `tag` and return the seconds the build took.

        One retry when the package index could not be reached: the machine's resolver
        sometimes times out under load, which says nothing about the Dockerfile.
        """
        for attempt in range(2):
            started = time.monotonic()
            try:
                self._bud(context, tag, build_args)
            except EngineError as error:
                if attempt == 1 or not any(flake in str(error) for flake in NETWORK_FLAKES):
                    raise
            else:
                break
        return time.monotonic() - started

    def _bud(self, context: Path, tag: str, build_args: Mapping[str, str]) -> None:
        """`buildah bud` with this machine's settings; no leftovers, even on failure.

        `--pull=never`: a base image that is not a stand-in fails at once instead of
        retrying a registry it cannot reach. Docker's format keeps the HEALTHCHECK (OCI's
        has no field for it).
        """
        args = [f"--build-arg={name}={value}" for name, value in build_args.items()]
        with exclusive(self.home / "build.lock"):  # one build at a time: leftovers are ours
            self._bud_alone(context, tag, args, set(build_args.values()))

    def _bud_alone(self, context: Path, tag: str, args: list[str], images: set[str]) -> None:
        before = self._working_containers()
        try:
            self.buildah(
                "bud", "--isolation", "chroot", "--network", "host", "--pull=never",
                "--format", "docker", *ca_mount(), *args, "--tag", tag, str(context),
            )  # fmt: skip
        finally:
            self._remove_stage_leftovers(before, images)

    def _working_containers(self) -> list[dict[str, Any]]:
        listed: list[dict[str, Any]] = json.loads(self.buildah("containers", "--json")) or []
        return listed

    def _remove_stage_leftovers(self, before: list[dict[str, Any]], images: set[str]) -> None:
        """buildah 1.28 leaves the container of a stage with no instructions behind.

        Only the new ones made from the images this build was given are ours to remove.
        """
        known = {container["id"] for container in before}
        for container in self._working_containers():
            if container["id"] not in known and container["imagename"] in images:
                self.buildah("rm", container["id"])

    def image_size(self, name: str) -> int:
        return int(self.podman("image", "inspect", "--format", "{{.Size}}", name).strip())

    def remove_image(self, name: str) -> None:
        self.podman("rmi", "--force", name, check=False)

    @contextlib.contextmanager
    def container(self, image: str, *command: str, env: Mapping[str, str]) -> Iterator[str]:
        """Run `image` detached on the host network; yield its name; remove it after.

        The root filesystem is read-only, with tmpfs on /tmp, /var/tmp and /run (podman's
        `--read-only-tmpfs`), as under Kubernetes with `readOnlyRootFilesystem`.
        """
        name = f"template-test-{os.getpid()}-{time.monotonic_ns()}"
        self.podman(
            "run",
            "--detach",
            "--read-only",
            "--name",
            name,
            "--network",
            "host",
            *env_flags(env),
            image,
            *command,
        )
        try:
            yield name
        finally:
            self.podman("rm", "--force", "--time", "0", name, check=False)

    def run(
        self, image: str, *command: str, env: Mapping[str, str], user: str | None = None
    ) -> str:
        """Run `image` to completion on the host network and return its output."""
        as_user = ["--user", user] if user is not None else []
        return self.podman(
            "run", "--rm", "--network", "host", *as_user, *env_flags(env), image, *command
        )

    def is_running(self, name: str) -> bool:
        return self.podman("inspect", "--format", "{{.State.Running}}", name).strip() == "true"

    def wait(self, name: str, timeout: float) -> int:
        """Wait for a container to exit and return its exit code."""
        return int(self.podman("wait", name, timeout=timeout).strip().splitlines()[-1])

    def healthcheck_status(self, name: str) -> int:
        """The exit code of one run of the image's HEALTHCHECK in the container."""
        return self._exit_code("healthcheck", "run", name)


def project_digest(root: Path) -> str:
    """A digest of every file of a project: its image is rebuilt only when one changes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(f"{path.relative_to(root)}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def cached_build(
    engine: Engine, context: Path, repository: str, build_args: Mapping[str, str]
) -> tuple[str, float | None]:
    """The image of `context`, built unless this machine has it; the seconds a build took.

    Test processes running side by side share it, and a rerun with the same files reuses
    it; the images of other contents of `repository` go, so one stays on the machine.
    """
    name = f"{repository}:{project_digest(context)}"
    with exclusive(engine.home / f"{repository.rsplit('/', 1)[-1]}.lock"):
        if engine.image_exists(name):
            return name, None
        for stale in engine.podman("images", "--format", "{{.Repository}}:{{.Tag}}").split():
            if stale.startswith(f"{repository}:"):  # without --force: one in use stays
                engine.podman("rmi", stale, check=False)
        return name, engine.build(context, name, build_args)


def free_port() -> int:
    """A TCP port free on the loopback right now, for a container on the host network."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ca_mount() -> list[str]:
    """The host's CA bundle at a path of its own, for tools that reach the package index."""
    return ["--volume", f"{HOST_CA}:{CA_IN_CONTAINER}:ro"] if HOST_CA.is_file() else []


def ca_env() -> dict[str, str]:
    """What points pip and uv at the mounted bundle (empty when the host has none)."""
    if not HOST_CA.is_file():
        return {}
    return {"SSL_CERT_FILE": CA_IN_CONTAINER, "PIP_CERT": CA_IN_CONTAINER}


def env_flags(env: Mapping[str, str]) -> list[str]:
    return [flag for name, value in env.items() for flag in ("--env", f"{name}={value}")]


def recipe_digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


@contextlib.contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive lock: parallel test workers build a stand-in once, not twice."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def python_standin(engine: Engine, scratch: Path) -> str:
    """The stand-in for `python:3.11-slim`, built unless this machine has it already."""
    name = f"{PYTHON_STANDIN}:{SUITE}-{recipe_digest(RECIPE_VERSION, SUITE, MIRROR, *PACKAGES)}"
    with exclusive(engine.home / "python-standin.lock"):
        if not engine.image_exists(name):
            _import_rootfs(engine, _debootstrap(scratch), name)
    return name


def _debootstrap(scratch: Path) -> Path:
    rootfs = Path(tempfile.mkdtemp(prefix="standin-rootfs-", dir=scratch))
    subprocess.run(
        [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(PACKAGES)}",
            SUITE,
            str(rootfs),
            MIRROR,
        ],
        check=True,
        capture_output=True,
        timeout=900,
    )
    # What apt downloaded is no part of a base image.
    for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
        shutil.rmtree(rootfs / cache, ignore_errors=True)
    rootfs.chmod(0o755)  # the image's `/`: mkdtemp made it 0700, closed to non-root users
    return rootfs


def _import_rootfs(engine: Engine, rootfs: Path, name: str) -> None:
    """Import the tree as one layer: no `.deb` caches left in a lower one."""
    import_command = [
        "podman", "--storage-driver", "vfs", "import",
        "--change", f"LABEL {RECIPE_LABEL}={name}", "--change", 'CMD ["python3"]', "-", name,
    ]  # fmt: skip
    try:
        with subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE) as tar:
            assert tar.stdout is not None
            with tar.stdout:
                subprocess.run(import_command, stdin=tar.stdout, env=engine.env, check=True,
                               capture_output=True, timeout=600)  # fmt: skip
        if tar.returncode != 0:
            raise EngineError(["tar", "-C", str(rootfs), "-c", "."], tar.returncode, "")
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)


def uv_standin(engine: Engine, scratch: Path) -> str:
    """The stand-in for `ghcr.io/astral-sh/uv`: this environment's uv binary at `/uv`."""
    binary = Path(uv.find_uv_bin())
    name = f"{UV_STANDIN}:{recipe_digest(str(binary.stat().st_size), _uv_version(binary))}"
    with exclusive(engine.home / "uv-standin.lock"):
        if not engine.image_exists(name):
            context = Path(tempfile.mkdtemp(prefix="uv-standin-", dir=scratch))
            shutil.copy2(binary, context / "uv")
            (context / "Dockerfile").write_text("FROM scratch\nCOPY uv /uv\n")
            try:
                engine.build(context, name, {})
            finally:
                shutil.rmtree(context, ignore_errors=True)
    return name


def _uv_version(binary: Path) -> str:
    return subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()


def base_image_args(python: str, uv_image: str) -> dict[str, str]:
    """The build arguments that point a generated Dockerfile at the stand-ins."""
    return {"PYTHON_IMAGE": python, "UV_IMAGE": uv_image, **_build_ca_args()}


def _build_ca_args() -> dict[str, str]:
    return {"SSL_CERT_FILE": CA_IN_CONTAINER} if HOST_CA.is_file() else {}
