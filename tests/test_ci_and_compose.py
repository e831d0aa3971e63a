"""The generated CI workflow and compose.yaml are valid and do what the README says.

Both are checked against the JSON schemas `check-jsonschema` ships (GitHub's workflow
schema and the Compose specification), offline; then for what a schema cannot see: the
workflow runs every check and builds the image, and compose starts the app only after
its servers are healthy and the database migrated.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from matrix import COMBOS, Combo, params
from template import BakeResult, default_answers

CHECK_JSONSCHEMA = str(Path(sys.executable).parent / "check-jsonschema")
WORKFLOW = ".github/workflows/ci.yml"
WITH_CI = tuple(c for c in COMBOS if default_answers(**c.context)["ci"] == "github")
CHECKS = ("make install", "make lint", "make typecheck", "make test")


def baked(bake_once: Callable[[Combo], BakeResult], combo: Combo) -> Path:
    result = bake_once(combo)
    assert result.project_path is not None, repr(result.exception)
    return result.project_path


def schema_errors(builtin: str, path: Path) -> str:
    """check-jsonschema's report on one file against one of its vendored schemas ("" if valid)."""
    done = subprocess.run(
        [CHECK_JSONSCHEMA, "--builtin-schema", builtin, str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return "" if done.returncode == 0 else done.stdout + done.stderr


def load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


@pytest.mark.parametrize("combo", params(WITH_CI, "bake-"))
def test_workflow_is_valid_against_githubs_schema(
    bake_once: Callable[[Combo], BakeResult], combo: Combo
) -> None:
    assert schema_errors("vendor.github-workflows", baked(bake_once, combo) / WORKFLOW) == ""


@pytest.mark.parametrize("combo", params(WITH_CI, "bake-"))
def test_workflow_runs_every_check_and_builds_the_image_from_the_dockerfile(
    bake_once: Callable[[Combo], BakeResult], combo: Combo
) -> None:
    jobs = load(baked(bake_once, combo) / WORKFLOW)["jobs"]
    commands = [step.get("run") for step in jobs["check"]["steps"]]
    builds = [
        step for step in jobs["image"]["steps"] if "build-push-action" in step.get("uses", "")
    ]

    assert [command for command in commands if command in CHECKS] == list(CHECKS)
    assert [build["with"]["context"] for build in builds] == ["."]


@pytest.mark.parametrize("combo", params(COMBOS, "bake-"))
def test_compose_file_is_valid_against_the_compose_specification(
    bake_once: Callable[[Combo], BakeResult], combo: Combo
) -> None:
    assert schema_errors("vendor.compose-spec", baked(bake_once, combo) / "compose.yaml") == ""


@pytest.mark.parametrize("combo", params(COMBOS, "bake-"))
def test_compose_starts_the_app_after_its_servers_are_healthy_and_migrated(
    bake_once: Callable[[Combo], BakeResult], combo: Combo
) -> None:
    services = load(baked(bake_once, combo) / "compose.yaml")["services"]
    answers = default_answers(**combo.context)
    servers = {"postgres"} if answers["database"] == "postgres" else set()
    worker = answers["worker"] == "arq"
    servers |= {"redis"} if answers["cache"] == "redis" or worker else set()
    one_shots = {"migrate"} if "postgres" in servers else set()
    workers = {"worker"} if worker else set()
    waits = {
        name: rule["condition"] for name, rule in services["app"].get("depends_on", {}).items()
    }

    assert set(services) == {"app"} | servers | one_shots | workers
    assert all("healthcheck" in services[name] for name in workers)
    assert waits == dict.fromkeys(servers, "service_healthy") | dict.fromkeys(
        one_shots, "service_completed_successfully"
    )
    assert all("healthcheck" in services[name] for name in servers)
