"""Bake the template's variants into a temporary directory and install each one.

The template is copied first, so every variant comes from the same snapshot even while
the template is being edited, and cookiecutter runs from the template's own dev
environment (`python -m cookiecutter`): the harness itself needs the standard library only.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

# What cookiecutter needs from the template repository; nothing else is copied.
TEMPLATE_PARTS = ("cookiecutter.json", "hooks", "{{cookiecutter.project_slug}}")
# The packages whose versions are recorded; all apps run on these.
VERSIONED_PACKAGES = (
    "fastapi",
    "starlette",
    "pydantic",
    "uvicorn",
    "uvloop",
    "httptools",
    "asyncpg",
    "structlog",
    "hiredis",
    "prometheus-client",
    "prometheus-fastapi-instrumentator",
)
_VERSIONS_SCRIPT = """
import importlib.metadata as metadata, json, sys
def version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
print(json.dumps({name: version(name) for name in sys.argv[1:]}))
"""
COMMAND_TIMEOUT = 600


@dataclass(frozen=True)
class Variant:
    """One bake: a name and the answers that differ from the template's defaults."""

    name: str
    answers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Bake:
    """A baked and installed project."""

    variant: Variant
    root: Path
    package: str

    @property
    def bin(self) -> Path:
        return self.root / ".venv" / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without the settings that would leak into a child.

    `uv run` exports VIRTUAL_ENV (the template's venv), and a developer's APP_* or
    DATABASE_URL would silently reconfigure the apps under test.
    """
    leaked = ("VIRTUAL_ENV", "DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")
    env = {k: v for k, v in os.environ.items() if k not in leaked and not k.startswith("APP_")}
    env.update(extra)
    return env


def run(command: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run a command to completion; on failure raise with its output."""
    result = subprocess.run(
        command,
        cwd=cwd,
        env=env if env is not None else clean_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=COMMAND_TIMEOUT,
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-3000:]
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{output}")
    return result.stdout


def uv_command() -> list[str]:
    """The uv that runs this harness (`uv run` exports UV), else one on PATH or in this venv."""
    found = os.environ.get("UV") or shutil.which("uv")
    return [found] if found else [sys.executable, "-m", "uv"]


def snapshot_template(template: Path, destination: Path) -> Path:
    """Copy the parts of the template cookiecutter reads; return the copy."""
    destination.mkdir(parents=True)
    for part in TEMPLATE_PARTS:
        source = template / part
        if source.is_dir():
            shutil.copytree(
                source,
                destination / part,
                ignore=shutil.ignore_patterns("__pycache__", ".*_cache", ".venv"),
            )
        else:
            shutil.copy2(source, destination / part)
    return destination


def default_answers(template: Path) -> dict[str, str]:
    """The template's default answer for each choice and yes/no option."""
    context = json.loads((template / "cookiecutter.json").read_text())
    defaults: dict[str, str] = {}
    for key, value in context.items():
        if isinstance(value, list) and value:
            defaults[key] = str(value[0])
        elif isinstance(value, bool):
            defaults[key] = str(value)
    return defaults


def bake_all(template: Path, variants: list[Variant], workdir: Path) -> dict[str, Bake]:
    """Bake and install every variant, in parallel (it is mostly waiting on I/O)."""
    with ThreadPoolExecutor(max_workers=len(variants)) as pool:
        futures = {v.name: pool.submit(bake_and_install, template, v, workdir) for v in variants}
        return {name: future.result() for name, future in futures.items()}


def bake_and_install(template: Path, variant: Variant, workdir: Path) -> Bake:
    """Bake one variant and install it as a production image would.

    No dev group; the project itself installed as a wheel, not editable; everything compiled to
    bytecode ahead of time, so no start pays for compiling (the uv Docker guide's recipe).
    """
    output = workdir / variant.name
    answers = [f"{key}={value}" for key, value in variant.answers.items()]
    # cookiecutter leaves its rendered hook scripts in TMPDIR: keep them in our workdir.
    env = clean_env(TMPDIR=str(workdir))
    cookiecutter = [sys.executable, "-m", "cookiecutter", "--no-input", "--output-dir"]
    run([*cookiecutter, str(output), str(template), *answers], env=env)
    (root,) = [path for path in output.iterdir() if path.is_dir()]
    sync = [*uv_command(), "sync", "--no-dev", "--no-editable", "--compile-bytecode"]
    sync += ["--python", sys.executable]
    run(sync, cwd=root, env=clean_env(UV_PYTHON_DOWNLOADS="never"))
    return Bake(variant, root, _package_name(root))


def add_baseline_dependencies(bake: Bake, *extra: str) -> None:
    """Make sure the baselines' imports are there (a no-op for those the bake has)."""
    install = [*uv_command(), "pip", "install", "--quiet", "--python", str(bake.python)]
    run([*install, "fastapi", "asyncpg", *extra], env=clean_env(UV_PYTHON_DOWNLOADS="never"))


def _package_name(root: Path) -> str:
    (main,) = (root / "src").glob("*/main.py")
    return main.parent.name


def installed_versions(bake: Bake) -> dict[str, str | None]:
    """The versions of the packages that matter, as installed in the bake's venv."""
    output = run([str(bake.python), "-c", _VERSIONS_SCRIPT, *VERSIONED_PACKAGES])
    versions: dict[str, str | None] = json.loads(output)
    return versions


def item_query(bake: Bake) -> str:
    """The SQL the service runs for one item (`_GET` in its items service).

    The module is parsed, not imported: the harness has none of the service's dependencies.
    """
    source = bake.root / "src" / bake.package / "api" / "items" / "service.py"
    tree = ast.parse(source.read_text())
    constants: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            value = _string_value(node.value, constants)
            if isinstance(target, ast.Name) and value is not None:
                constants[target.id] = value
    if "_GET" not in constants:
        raise RuntimeError(f"no _GET query of string constants in {source}")
    return constants["_GET"]


def _string_value(node: ast.expr, constants: dict[str, str]) -> str | None:
    """Evaluate string literals, names of earlier ones, and `+` between them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _string_value(node.left, constants)
        right = _string_value(node.right, constants)
        return None if left is None or right is None else left + right
    return None


def template_revision(template: Path) -> dict[str, str | int | None]:
    """The template's commit and how many tracked files differ from it, if it is a git checkout."""
    git = shutil.which("git")
    if git is None:
        return {"commit": None, "changed_files": None}
    try:
        commit = run([git, "-C", str(template), "rev-parse", "HEAD"]).strip()
        status = run(
            [git, "-C", str(template), "status", "--porcelain", "--untracked-files=no"]
        ).splitlines()
    except RuntimeError:
        return {"commit": None, "changed_files": None}
    return {"commit": commit, "changed_files": len(status)}
