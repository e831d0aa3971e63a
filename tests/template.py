"""What the tests know about the template: where it is, its answers and its hooks.

The hooks are loaded from their files (they are scripts, not a package) so the
pruning table in `post_gen_project.py` is the oracle for every bake.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

TEMPLATE_ROOT = Path(__file__).resolve().parent.parent
HOOKS = TEMPLATE_ROOT / "hooks"
PROJECT_TEMPLATE = TEMPLATE_ROOT / "{{cookiecutter.project_slug}}"


def load_hook(name: str) -> ModuleType:
    """Import one hook script from its file, unrendered."""
    path = HOOKS / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"template_hooks.{name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PRE_GEN = load_hook("pre_gen_project")
POST_GEN = load_hook("post_gen_project")

Condition = tuple[tuple[str, frozenset[str]], ...]
# Alternatives: a rule holds when any one of its conditions does.
OwnershipRule = tuple[Condition, ...]
OWNED_PATHS: dict[OwnershipRule, tuple[str, ...]] = POST_GEN.OWNED_PATHS
holds: Callable[[OwnershipRule, dict[str, str]], bool] = POST_GEN.holds
paths_to_remove: Callable[[dict[str, str]], list[str]] = POST_GEN.paths_to_remove
Rule = tuple[Callable[[Mapping[str, str]], bool], str]


class Problems(Protocol):
    """Signature of `pre_gen_project.problems`."""

    def __call__(self, given: Mapping[str, str], rules: tuple[Rule, ...] = ...) -> list[str]: ...


problems: Problems = PRE_GEN.problems
UNSUPPORTED: tuple[Rule, ...] = PRE_GEN.UNSUPPORTED


def cookiecutter_json() -> dict[str, Any]:
    """The template's variables with their defaults (choices as lists)."""
    loaded: dict[str, Any] = json.loads((TEMPLATE_ROOT / "cookiecutter.json").read_text())
    return loaded


def choices() -> dict[str, tuple[str, ...]]:
    """Every option with a fixed set of values, as the hooks see them ("True"/"False")."""
    options: dict[str, tuple[str, ...]] = {}
    for name, default in cookiecutter_json().items():
        if isinstance(default, list):
            options[name] = tuple(str(value) for value in default)
        elif isinstance(default, bool):
            options[name] = ("True", "False")
    return options


def default_answers(**overrides: object) -> dict[str, str]:
    """The answers a bake with these overrides gets, rendered the way cookiecutter does."""
    context = prompt_for_config(
        generate_context(
            context_file=str(TEMPLATE_ROOT / "cookiecutter.json"), extra_context=overrides
        ),
        no_input=True,
    )
    return as_answers(context)


def as_answers(context: Mapping[str, object]) -> dict[str, str]:
    """Turn a rendered cookiecutter context into the strings the hooks see."""
    return {name: str(value) for name, value in context.items() if not name.startswith("_")}


class BakeResult(Protocol):
    """The parts of `pytest_cookies.plugin.Result` the tests use."""

    exit_code: int | str | None
    exception: BaseException | None
    context: dict[str, object] | None

    @property
    def project_path(self) -> Path | None: ...


class Cookies(Protocol):
    """The `cookies` / `cookies_session` fixtures of pytest-cookies."""

    def bake(
        self, extra_context: Mapping[str, object] | None = None, template: str | None = None
    ) -> BakeResult: ...
