"""The template's version: one number in the changelog, cookiecutter.json and each bake."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable

from matrix import COMBOS, Combo
from template import TEMPLATE_ROOT, BakeResult, cookiecutter_json

# `## [1.2.0] - 2026-12-02`, as Keep a Changelog writes a release.
RELEASE = re.compile(r"^## \[(?P<version>\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", re.MULTILINE)
DEFAULTS = next(combo for combo in COMBOS if combo.id == "defaults")


def changelog() -> str:
    return (TEMPLATE_ROOT / "CHANGELOG.md").read_text()


def template_version() -> str:
    version: str = cookiecutter_json()["_template_version"]
    return version


def test_the_newest_release_in_the_changelog_is_the_template_version() -> None:
    releases = [match["version"] for match in RELEASE.finditer(changelog())]

    assert releases, "CHANGELOG.md names no release"
    assert releases[0] == template_version()


def test_the_changelog_keeps_an_unreleased_section_above_the_releases() -> None:
    text = changelog()
    first_release = RELEASE.search(text)

    assert first_release is not None
    assert "## [Unreleased]" in text[: first_release.start()]


def test_the_template_distribution_has_the_same_version() -> None:
    pyproject = tomllib.loads((TEMPLATE_ROOT / "pyproject.toml").read_text())

    assert pyproject["project"]["version"] == template_version()


def test_the_version_lands_in_the_bake(bake_once: Callable[[Combo], BakeResult]) -> None:
    result = bake_once(DEFAULTS)
    assert result.project_path is not None, repr(result.exception)
    assert result.context is not None
    header = (result.project_path / "pyproject.toml").read_text().split("[project]")[0]

    assert result.context["_template_version"] == template_version()
    assert f"fastapi-service-template {template_version()}" in header
