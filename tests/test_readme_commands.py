"""The README's commands stay parseable, and `.ci/run` runs the test command as written.

A fresh-machine test reads the commands from the READMEs and runs them, so each section
keeps its command in one fenced `sh` block.
"""

from __future__ import annotations

import re
from pathlib import Path

from template import PROJECT_TEMPLATE, TEMPLATE_ROOT

FENCED_SH = re.compile(r"^```sh\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
BOOTSTRAP = "~/.cache/uv-bootstrap"


def commands(readme: Path, heading: str) -> list[str]:
    """The fenced `sh` blocks of one `## heading` section, stripped."""
    text = readme.read_text()
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end != -1 else len(text)]
    return [match["body"].strip() for match in FENCED_SH.finditer(section)]


def test_the_generate_command_is_one_line_naming_the_template_by_its_gh_url() -> None:
    (command,) = commands(TEMPLATE_ROOT / "README.md", "Generate a service")

    assert "\n" not in command
    assert command.endswith("cookiecutter gh:org/fastapi-service-template")
    # pip into a directory of its own: what PEP 668 still allows on a stock machine.
    assert command.startswith(f"python3 -m pip install -q --upgrade --target {BOOTSTRAP} uv && ")


def test_ci_runs_the_readmes_test_command_last_and_as_written() -> None:
    (command,) = commands(TEMPLATE_ROOT / "README.md", "Test the template")
    script = (TEMPLATE_ROOT / ".ci" / "run").read_text().rstrip().splitlines()

    assert script[-1] == command


def test_the_generated_readme_has_one_command_to_run_and_one_to_test() -> None:
    readme = PROJECT_TEMPLATE / "README.md"

    assert commands(readme, "Run it") == ["make run"]
    assert commands(readme, "Test it") == ["make test"]


def test_the_makefile_reuses_the_uv_the_readme_installs() -> None:
    makefile = (PROJECT_TEMPLATE / "Makefile").read_text()

    assert f"UV_BOOTSTRAP := {BOOTSTRAP.replace('~', '$(HOME)')}\n" in makefile
