"""Every combo of the matrix bakes a clean, pruned, lint-free project."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from matrix import COMBOS, Combo, params
from template import OWNED_PATHS, BakeResult, as_answers, holds, paths_to_remove

each_combo = pytest.mark.parametrize("combo", params(COMBOS, "bake-"))

JINJA_LEFTOVERS = ("{{ cookiecutter", "{{cookiecutter", "{%", "%}")
PACKAGE = "src/{package_name}"


@dataclass(frozen=True)
class Baked:
    root: Path
    answers: dict[str, str]


@dataclass(frozen=True)
class Trace:
    """Text a switched-off feature must not leave in the files that remain.

    `files` are globs relative to the project root ({package_name} is filled in).
    """

    option: str
    pruned_when: frozenset[str]
    pattern: re.Pattern[str]
    files: tuple[str, ...] = ("**/*",)
    # Answers that keep the text all the same: another feature needs it (option, values).
    kept_by: tuple[tuple[str, frozenset[str]], ...] = ()

    def applies(self, answers: dict[str, str]) -> bool:
        """Whether this bake must be free of the text."""
        kept = any(answers[option] in values for option, values in self.kept_by)
        return answers[self.option] in self.pruned_when and not kept


WIRING = (
    "pyproject.toml",
    ".env.example",
    *(f"{PACKAGE}/{name}.py" for name in ("settings", "deps", "lifespan")),
)

# Not `limits` alone: the request bounds live in `limits.py` whatever the answers.
RATE_LIMIT_TEXT = re.compile(
    r"rate[ _-]?limit|write[ _]limits|\blimits(\.aio|\.errors|>=)|^from limits",
    re.IGNORECASE | re.MULTILINE,
)

TRACES = (
    Trace(
        "database",
        frozenset({"none"}),
        re.compile(r"asyncpg|alembic|postgres|database_url", re.IGNORECASE),
    ),
    # The worker's queue is in Redis too.
    Trace(
        "cache",
        frozenset({"memory", "none"}),
        re.compile(r"redis", re.IGNORECASE),
        kept_by=(("worker", frozenset({"arq"})),),
    ),
    Trace(
        "worker",
        frozenset({"none"}),
        re.compile(
            r"\barq\b|idempotency|WorkerSettings|make worker|\borders?_router", re.IGNORECASE
        ),
    ),
    # Off, or `auto` without the Redis cache to share the counts.
    Trace("rate_limit", frozenset({"off"}), RATE_LIMIT_TEXT),
    Trace(
        "rate_limit",
        frozenset({"auto"}),
        RATE_LIMIT_TEXT,
        kept_by=(("cache", frozenset({"redis"})),),
    ),
    # `cache` as a word of its own: not `__pycache__`, `.ruff_cache`, `no:cacheprovider`.
    Trace("cache", frozenset({"none"}), re.compile(r"(?<![\w.:-])cache", re.IGNORECASE), WIRING),
    Trace("use_metrics", frozenset({"False"}), re.compile(r"prometheus", re.IGNORECASE)),
    # httpx stays as the test client of the app; the upstream example must go.
    Trace(
        "use_http_client",
        frozenset({"False"}),
        re.compile(r"upstream", re.IGNORECASE),
        ("pyproject.toml", ".env.example", f"{PACKAGE}/settings.py"),
    ),
    Trace(
        "use_http_client",
        frozenset({"False"}),
        re.compile(r"httpx\.AsyncClient|\bstock\b"),
        (f"{PACKAGE}/**/*.py",),
    ),
    Trace("ci", frozenset({"none"}), re.compile(r"\.github\b|github actions", re.IGNORECASE)),
    Trace("deploy", frozenset({"none"}), re.compile(r"kubernetes|kustomiz|pyyaml", re.IGNORECASE)),
    Trace(
        "license",
        frozenset({"MIT", "Proprietary"}),
        re.compile(r"Apache"),
        ("pyproject.toml", "README.md", "LICENSE"),
    ),
    Trace(
        "license",
        frozenset({"Apache-2.0", "Proprietary"}),
        re.compile(r"\bMIT\b"),
        ("pyproject.toml", "README.md", "LICENSE"),
    ),
)


def project(bake_once: Callable[[Combo], BakeResult], combo: Combo) -> Baked:
    """The baked project of this combo, or a failure that says why there is none."""
    result = bake_once(combo)
    if result.project_path is None or result.context is None:
        pytest.fail(f"bake {combo.id} failed: {result.exception!r}")
    return Baked(result.project_path, as_answers(result.context))


def text_files(root: Path) -> Iterator[tuple[Path, str]]:
    """Yield every file that decodes as UTF-8 text; binaries are skipped."""
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue
        try:
            yield path, data.decode("utf-8")
        except UnicodeDecodeError:
            continue


def ruff(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the template environment's ruff in the baked project, with the project's config."""
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--no-cache", "."],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@each_combo
def test_bake_succeeds(bake_once: Callable[[Combo], BakeResult], combo: Combo) -> None:
    result = bake_once(combo)

    assert result.exception is None
    assert result.exit_code == 0
    assert result.project_path is not None
    assert result.project_path.is_dir()


@each_combo
def test_no_jinja_is_left_in_names_or_text(
    bake_once: Callable[[Combo], BakeResult], combo: Combo
) -> None:
    baked = project(bake_once, combo)
    found = [
        f"{path.relative_to(baked.root)}: {marker}"
        for path, text in text_files(baked.root)
        for marker in JINJA_LEFTOVERS
        if marker in text
    ]
    found += [str(path) for path in baked.root.rglob("*") if "cookiecutter" in path.name]

    assert not found, "\n".join(found)


@each_combo
def test_no_empty_directory_is_left(bake_once: Callable[[Combo], BakeResult], combo: Combo) -> None:
    baked = project(bake_once, combo)
    empty = [
        str(path.relative_to(baked.root))
        for path in baked.root.rglob("*")
        if path.is_dir() and not any(path.iterdir())
    ]

    assert not empty, "\n".join(empty)


@each_combo
def test_paths_of_switched_off_features_are_gone(
    bake_once: Callable[[Combo], BakeResult], combo: Combo
) -> None:
    baked = project(bake_once, combo)
    left = [path for path in paths_to_remove(baked.answers) if (baked.root / path).exists()]

    assert not left, "\n".join(left)


@each_combo
def test_paths_of_switched_on_features_exist(
    bake_once: Callable[[Combo], BakeResult], combo: Combo
) -> None:
    baked = project(bake_once, combo)
    package = {"package_name": baked.answers["package_name"]}
    wanted = [
        path.format(**package)
        for condition, paths in OWNED_PATHS.items()
        if holds(condition, baked.answers)
        for path in paths
    ]

    missing = [path for path in wanted if not (baked.root / path).exists()]

    assert not missing, "\n".join(missing)


@each_combo
def test_no_trace_of_switched_off_features_remains(
    bake_once: Callable[[Combo], BakeResult], combo: Combo
) -> None:
    baked = project(bake_once, combo)
    package = {"package_name": baked.answers["package_name"]}
    found = []
    for trace in TRACES:
        if not trace.applies(baked.answers):
            continue
        scanned = {path for glob in trace.files for path in baked.root.glob(glob.format(**package))}
        for path, text in text_files(baked.root):
            if path not in scanned:
                continue
            for number, line in enumerate(text.splitlines(), start=1):
                if trace.pattern.search(line):
                    where = f"{path.relative_to(baked.root)}:{number}"
                    found.append(
                        f"{trace.option}={baked.answers[trace.option]} {where}: {line.strip()}"
                    )

    assert not found, "\n".join(found)


@each_combo
def test_project_has_its_own_ruff_config(
    bake_once: Callable[[Combo], BakeResult], combo: Combo
) -> None:
    baked = project(bake_once, combo)
    pyproject = baked.root / "pyproject.toml"

    assert (pyproject.is_file() and "[tool.ruff" in pyproject.read_text()) or (
        baked.root / "ruff.toml"
    ).is_file()


@each_combo
def test_ruff_check_passes(bake_once: Callable[[Combo], BakeResult], combo: Combo) -> None:
    run = ruff(project(bake_once, combo).root, "check")

    assert run.returncode == 0, run.stdout + run.stderr


@each_combo
def test_ruff_format_check_passes(bake_once: Callable[[Combo], BakeResult], combo: Combo) -> None:
    run = ruff(project(bake_once, combo).root, "format", "--check")

    assert run.returncode == 0, run.stdout + run.stderr
