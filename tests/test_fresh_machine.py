"""The two READMEs' commands, exactly as written, on a fresh Debian 12 machine.

The machine is an image: the Debian 12 stand-in of `containers.py` with pip and make added,
nothing else (no uv, no PostgreSQL, no Redis, no PgBouncer), running as root as a
container or a new VM would. The template README's generate command runs as written, with
the gh: URL swapped for this checkout (mounted read-only) and `--no-input` for the
defaults; then the generated README's test command runs as written in the new project,
finding or installing everything else itself. Only the package registries are reached.

Figures of the last run (seconds per command): `python3 -m uv run pytest --cache-show 'fresh/*'`.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from containers import Engine, ca_env, ca_mount, env_flags, exclusive, recipe_digest
from template import TEMPLATE_ROOT, default_answers

pytestmark = [pytest.mark.slow, pytest.mark.container, pytest.mark.xdist_group("image")]

GH_URL = "gh:org/fastapi-service-template"
MOUNTED_TEMPLATE = "/template"
# What a stock Debian 12 with Python has besides python3: pip, and make to run a Makefile.
FRESH_PACKAGES = ("python3-pip", "make")
FRESH_IMAGE = "localhost/template-standin/fresh-debian"
TIMEOUT = 1800  # seconds a command may take, package downloads included
SHOWN = 20_000  # characters of output shown on failure


def sh_block(readme: str, heading: str) -> str:
    """The one ```sh block in the section under `heading`."""
    section = readme.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return str(block).strip()


def generate_command() -> str:
    """The template README's generate command, pointed at this checkout, with the defaults."""
    command = sh_block((TEMPLATE_ROOT / "README.md").read_text(), "Generate a service")
    assert GH_URL in command, command
    return command.replace(GH_URL, f"{MOUNTED_TEMPLATE} --no-input")


def fresh_machine(engine: Engine, python_standin: str) -> str:
    """The stand-in plus pip and make, built once per machine and found by its recipe."""
    name = f"{FRESH_IMAGE}:{recipe_digest(python_standin, *FRESH_PACKAGES)}"
    install = (
        "apt-get update && apt-get install -y --no-install-recommends "
        f"{' '.join(FRESH_PACKAGES)} && rm -rf /var/lib/apt/lists/*"
    )
    with exclusive(engine.home / "fresh-machine.lock"):
        if not engine.image_exists(name):
            builder = f"template-fresh-build-{time.monotonic_ns()}"
            engine.podman(
                "run", "--name", builder, "--network", "host", python_standin, "sh", "-c", install,
                timeout=900,
            )  # fmt: skip
            try:
                engine.podman("commit", builder, name, timeout=600)
            finally:
                engine.podman("rm", "--force", builder, check=False)
    return name


class Machine:
    """One running container of the fresh image: commands run in it one after another."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name

    def run(self, command: str, *, cwd: str) -> tuple[int, str, float]:
        """Run a shell command as written; return its exit code, output and seconds."""
        started = time.monotonic()
        done = subprocess.run(
            ["podman", "--storage-driver", "vfs", "--runtime", "runc", "exec", "--workdir", cwd,
             self.name, "sh", "-c", command],
            env=self.engine.env, capture_output=True, text=True, timeout=TIMEOUT, check=False,
        )  # fmt: skip
        return done.returncode, done.stdout + done.stderr, time.monotonic() - started


@pytest.fixture
def machine(engine: Engine, python_standin_image: str, tmp_path: Path) -> Iterator[Machine]:
    image = fresh_machine(engine, python_standin_image)
    name = f"template-fresh-{time.monotonic_ns()}"
    engine.podman(
        "run", "--detach", "--name", name, "--network", "host",
        "--volume", f"{TEMPLATE_ROOT}:{MOUNTED_TEMPLATE}:ro", *ca_mount(), *env_flags(ca_env()),
        image, "sleep", "infinity",
    )  # fmt: skip
    try:
        yield Machine(engine, name)
    finally:
        engine.podman("rm", "--force", "--time", "0", name, check=False)


def test_the_readme_commands_generate_and_test_a_project_on_a_fresh_debian_12(
    machine: Machine, request: pytest.FixtureRequest
) -> None:
    slug = default_answers()["project_slug"]
    code, output, generate_seconds = machine.run(generate_command(), cwd="/root")
    assert code == 0, f"the generate command failed:\n{output[-SHOWN:]}"

    readme = machine_file(machine, f"/root/{slug}/README.md")
    code, output, test_seconds = machine.run(sh_block(readme, "Test it"), cwd=f"/root/{slug}")

    request.config.cache.set("fresh/seconds", {"generate": generate_seconds, "test": test_seconds})
    assert code == 0, f"the test command failed:\n{output[-SHOWN:]}"
    assert re.search(r"\d+ passed", output), output[-SHOWN:]


def machine_file(machine: Machine, path: str) -> str:
    code, output, _ = machine.run(f"cat {path}", cwd="/")
    assert code == 0, output
    return output
