"""The pre-generation hook refuses bad answers with one clear line each and leaves nothing."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from cookiecutter.environment import StrictEnvironment
from cookiecutter.exceptions import FailedHookException

from matrix import COMBOS, Combo
from template import (
    HOOKS,
    TEMPLATE_ROOT,
    Cookies,
    Rule,
    as_answers,
    default_answers,
    problems,
)

GOOD_PACKAGE = {"package_name": "orders_service"}


@dataclass(frozen=True)
class BadAnswer:
    """Answers that must fail the hook, the answer the message names, and what it says."""

    id: str
    context: Mapping[str, str]
    answer: str
    says: str


BAD_ANSWERS = (
    BadAnswer("empty-project-name", {"project_name": ""}, "project_name", "is empty"),
    BadAnswer("blank-project-name", {"project_name": "   "}, "project_name", "is empty"),
    BadAnswer(
        "slug-uppercase",
        {"project_slug": "Orders-Service", **GOOD_PACKAGE},
        "project_slug",
        "not kebab-case",
    ),
    BadAnswer(
        "slug-with-space",
        {"project_slug": "orders service", **GOOD_PACKAGE},
        "project_slug",
        "not kebab-case",
    ),
    BadAnswer(
        "slug-leading-digit",
        {"project_slug": "1orders", **GOOD_PACKAGE},
        "project_slug",
        "not kebab-case",
    ),
    BadAnswer(
        "slug-double-dash",
        {"project_slug": "orders--service", **GOOD_PACKAGE},
        "project_slug",
        "not kebab-case",
    ),
    BadAnswer("package-keyword", {"package_name": "class"}, "package_name", "Python keyword"),
    BadAnswer("package-soft-keyword", {"package_name": "match"}, "package_name", "soft keyword"),
    BadAnswer("package-stdlib-json", {"package_name": "json"}, "package_name", "standard-library"),
    BadAnswer(
        "package-stdlib-asyncio", {"package_name": "asyncio"}, "package_name", "standard-library"
    ),
    BadAnswer("package-shadows-fastapi", {"package_name": "fastapi"}, "package_name", "dependency"),
    BadAnswer("package-shadows-tests", {"package_name": "tests"}, "package_name", "folder"),
    BadAnswer(
        "package-with-dash",
        {"package_name": "orders-service"},
        "package_name",
        "not a lowercase Python identifier",
    ),
    BadAnswer(
        "email-without-at", {"author_email": "you.example.com"}, "author_email", "email address"
    ),
    BadAnswer("email-without-domain", {"author_email": "you@"}, "author_email", "email address"),
    BadAnswer("version-leading-v", {"version": "v1.0"}, "version", "PEP 440"),
    BadAnswer("version-with-dash", {"version": "1.0-beta"}, "version", "PEP 440"),
    BadAnswer("empty-author-name", {"author_name": ""}, "author_name", "is empty"),
    BadAnswer("author-name-backslash", {"author_name": "Ops\\Team"}, "author_name", "backslash"),
    BadAnswer("blank-description", {"description": "  "}, "description", "is empty"),
    BadAnswer(
        "description-double-quote",
        {"description": 'The "orders" service'},
        "description",
        "double quote",
    ),
)


@pytest.mark.parametrize("bad", BAD_ANSWERS, ids=lambda bad: bad.id)
def test_bad_answer_fails_the_hook_and_leaves_nothing_behind(
    cookies: Cookies, tmp_path: Path, capfd: pytest.CaptureFixture[str], bad: BadAnswer
) -> None:
    result = cookies.bake(extra_context=bad.context, template=str(TEMPLATE_ROOT))

    assert result.exit_code == -1
    assert isinstance(result.exception, FailedHookException)
    assert result.project_path is None
    output = tmp_path / "cookies"  # pytest-cookies bakes into tmpdir/cookies/bakeNN/
    left = [path for path in output.rglob("*") if not (path.is_dir() and path.parent == output)]
    assert left == []
    assert result.context is not None
    expected = problems(as_answers(result.context))
    assert len(expected) == 1
    assert expected[0].startswith(f"{bad.answer} ")
    assert bad.says in expected[0]
    printed = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR: ")]
    assert printed == [f"ERROR: {expected[0]}"]


def test_problems_accept_the_default_answers() -> None:
    assert problems(default_answers()) == []


def test_rendered_hook_exits_zero_silently_on_the_default_answers(tmp_path: Path) -> None:
    source = (HOOKS / "pre_gen_project.py").read_text()
    context = {"cookiecutter": default_answers()}
    script = tmp_path / "pre_gen_project.py"
    script.write_text(StrictEnvironment(context=context).from_string(source).render(**context))

    run = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=False, timeout=60
    )

    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")


@pytest.mark.parametrize(
    "package",
    [
        "class",
        "match",
        "case",
        "type",
        "_",
        "json",
        "typing",
        "annotationlib",
        "hiredis",
        "scripts",
    ],
)
def test_problems_reject_package_names_that_shadow_or_cannot_be_imported(package: str) -> None:
    found = problems(default_answers(package_name=package))

    assert len(found) == 1
    assert found[0].startswith(f"package_name {package!r} ")
    assert found[0].endswith("use a lowercase identifier such as 'orders_service'")


@pytest.mark.parametrize("package", ["orders_service", "billing", "service", "app", "api_v2", "_x"])
def test_problems_accept_ordinary_package_names(package: str) -> None:
    assert problems(default_answers(package_name=package)) == []


@pytest.mark.parametrize("version", ["0.1.0", "1", "2.0rc1", "1.0.post2", "3.1a4.dev5"])
def test_problems_accept_pep_440_versions(version: str) -> None:
    assert problems(default_answers(version=version)) == []


def test_problems_reject_an_empty_slug() -> None:
    # Not bakeable: cookiecutter renders an empty slug into the output dir itself
    # and fails before any hook runs, so the slug default never comes out empty.
    found = problems({**default_answers(), "project_slug": ""})

    assert found == [
        "project_slug '' is not kebab-case; use lowercase letters, digits and single dashes, "
        "starting with a letter, such as 'orders-service'"
    ]


def test_problems_reject_an_unsupported_python_version() -> None:
    # Not bakeable either: cookiecutter refuses a value outside the choice list first.
    found = problems({**default_answers(), "python_version": "3.10"})

    assert found == ["python_version '3.10' is not supported; use one of 3.11, 3.12, 3.13"]


def test_problems_report_every_bad_answer_on_its_own_line() -> None:
    found = problems(default_answers(package_name="class", version="v1", author_name=""))

    assert [line.split(" ", 1)[0] for line in found] == ["author_name", "package_name", "version"]


def test_unsupported_combination_rule_adds_its_message_when_its_condition_holds() -> None:
    rule: Rule = (lambda given: given["cache"] == "redis", "cache=redis needs X")

    assert problems(default_answers(cache="redis"), rules=(rule,)) == ["cache=redis needs X"]
    assert problems(default_answers(cache="memory"), rules=(rule,)) == []


@pytest.mark.parametrize("combo", COMBOS, ids=lambda combo: combo.id)
def test_problems_accept_every_combo_of_the_matrix(combo: Combo) -> None:
    assert problems(default_answers(**combo.context)) == []
