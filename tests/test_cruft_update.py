"""A project made with cruft takes a template change and keeps its team's edits.

The template is copied into a throwaway git repository, a project is created from it with
`cruft create` and edited as a team would; then the template changes and `cruft update`
brings the change in. The bake needs no server, so its own suite runs in seconds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from template import TEMPLATE_ROOT
from test_baked_projects import clean_env, make

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="cruft needs git"),
]

ANSWERS = {"project_name": "Shop", "database": "none", "cache": "memory"}
PACKAGE = "shop"
# Not copied into the template's throwaway repository: local state, not the template.
LOCAL = (".git", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache")
NEXT_VERSION = "99.0.0"

PING_ROUTER = '''"""`GET /api/v1/ping`: a route of the team's own."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/ping", tags=["ping"])


@router.get("")
async def ping() -> dict[str, str]:
    """Answer that the service is here."""
    return {"ping": "pong"}
'''
PING_TEST = '''"""The team's own route answers."""

from __future__ import annotations

import httpx


async def test_ping_answers_pong(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/ping")

    assert response.status_code == 200
    assert response.json() == {"ping": "pong"}
'''
TEAM_LINE = "Sells the shop's items; owned by the checkout team."
TEMPLATE_SECTION = "## Support\n\nAsk in the service's channel before changing its CI.\n\n"


def git(cwd: Path, *args: str) -> str:
    run = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert run.returncode == 0, f"git {' '.join(args)}: {run.stdout}{run.stderr}"
    return run.stdout


def cruft(cwd: Path, *args: str) -> None:
    command = [sys.executable, "-m", "cruft", *args]
    run = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, timeout=300)
    assert run.returncode == 0, f"cruft {' '.join(args)}: {run.stdout}{run.stderr}"


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path} has no single {old!r} to edit"
    path.write_text(text.replace(old, new))


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", message)


@pytest.fixture
def git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Commits need a name; the user's own git configuration stays out of the test."""
    (tmp_path / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Template Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")


def template_repository(root: Path) -> Path:
    """A git repository holding the template's files as they are now."""
    shutil.copytree(TEMPLATE_ROOT, root, ignore=shutil.ignore_patterns(*LOCAL))
    git(root, "init", "--quiet")
    commit_all(root, "The template")
    return root


def edit_like_a_team(project: Path) -> None:
    """Add a route with its test and reword the README's description, then commit."""
    domain = project / "src" / PACKAGE / "api" / "ping"
    domain.mkdir()
    (domain / "__init__.py").write_text("")
    (domain / "router.py").write_text(PING_ROUTER)
    (project / "tests" / "test_ping.py").write_text(PING_TEST)
    wiring = project / "src" / PACKAGE / "api" / "__init__.py"
    # In import order: after the orders domain, before stock.
    stock = "from .stock.router import router as stock_router\n"
    replace_once(wiring, stock, f"from .ping.router import router as ping_router\n{stock}")
    replace_once(wiring, "    digests_router,\n", "    digests_router,\n    ping_router,\n")
    replace_once(project / "README.md", "A production-grade FastAPI service.", TEAM_LINE)
    commit_all(project, "Our route, our README")


def change_the_template(template: Path) -> str:
    """Add a README section and a file, bump the version, commit; return the new commit."""
    project = template / "{{cookiecutter.project_slug}}"
    replace_once(project / "README.md", "## License\n", f"{TEMPLATE_SECTION}## License\n")
    (project / "RUNBOOK.md").write_text("# Runbook\n\nRestart with `make serve`.\n")
    answers = json.loads((template / "cookiecutter.json").read_text())
    answers["_template_version"] = NEXT_VERSION
    (template / "cookiecutter.json").write_text(json.dumps(answers, indent=2) + "\n")
    commit_all(template, "A support section, a runbook")
    return git(template, "rev-parse", "HEAD").strip()


@pytest.mark.usefixtures("git_identity")
def test_cruft_update_brings_the_template_change_and_keeps_the_teams_edits(
    tmp_path: Path, system_tmpdir: str
) -> None:
    template = template_repository(tmp_path / "template")
    cruft(
        tmp_path,
        "create",
        str(template),
        "--no-input",
        "--output-dir",
        str(tmp_path / "out"),
        "--extra-context",
        json.dumps(ANSWERS),
    )
    project = tmp_path / "out" / "shop"
    git(project, "init", "--quiet")
    commit_all(project, "Generated")
    edit_like_a_team(project)
    new_commit = change_the_template(template)

    cruft(project, "update", "--skip-apply-ask")

    readme = (project / "README.md").read_text()
    recorded = json.loads((project / ".cruft.json").read_text())
    assert TEMPLATE_SECTION in readme
    assert (project / "RUNBOOK.md").is_file()
    assert f"fastapi-service-template {NEXT_VERSION}" in (project / "pyproject.toml").read_text()
    assert recorded["commit"] == new_commit
    assert recorded["context"]["cookiecutter"]["_template_version"] == NEXT_VERSION
    assert TEAM_LINE in readme
    assert "ping_router" in (project / "src" / PACKAGE / "api" / "__init__.py").read_text()
    assert (project / "tests" / "test_ping.py").is_file()
    assert list(project.rglob("*.rej")) == []
    for target in ("lint", "test"):
        code, output = make(project, target, clean_env(system_tmpdir))
        assert code == 0, f"make {target} failed after the update (exit {code}):\n{output[-20000:]}"
