"""Generated answers against the pre-generation hook.

Bad answers are built by breaking a good one in a way the generated project cannot take
(a character a package name cannot hold, a keyword, a quote in a TOML string...), one
answer at a time, so each must come back as exactly one clear line naming that answer.
`problems()` takes the volume; a few real bakes check that cookiecutter then leaves nothing
on disk, and a few accepted answers bake a project that passes ruff.
"""

from __future__ import annotations

import keyword
import sys
import tempfile
from functools import cache
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from template import PRE_GEN, TEMPLATE_ROOT, default_answers, problems
from test_generation import ruff

SHADOWED: frozenset[str] = PRE_GEN.SHADOWED
PYTHON_VERSIONS: tuple[str, ...] = PRE_GEN.PYTHON_VERSIONS

# Building blocks of good answers.
SLUGS = st.from_regex(r"[a-z][a-z0-9]{1,8}(-[a-z0-9]{1,6}){0,2}", fullmatch=True)
EMAILS = st.from_regex(r"[a-z0-9._+]{1,12}@[a-z0-9]{1,10}(\.[a-z]{2,6}){1,2}", fullmatch=True)
VERSIONS = st.from_regex(
    r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}((a|b|rc)[0-9])?(\.dev[0-9])?", fullmatch=True
)
# Printable text on one line, without the quote and backslash the template cannot embed.
TEXT = st.text(
    st.characters(categories=["L", "N", "P", "S", "Zs"], exclude_characters='"\\\u00a0'),
    min_size=1,
    max_size=40,
).filter(lambda text: text.strip() != "" and text.isprintable())


def inserted(good: st.SearchStrategy[str], bad: list[str]) -> st.SearchStrategy[str]:
    """A good value with one of the `bad` pieces put anywhere into it."""
    return st.builds(
        lambda value, piece, at: (
            value[: at % (len(value) + 1)] + piece + value[at % (len(value) + 1) :]
        ),
        good,
        st.sampled_from(bad),
        st.integers(min_value=0),
    )


BAD: dict[str, st.SearchStrategy[str]] = {
    "project_name": st.one_of(
        st.text(st.sampled_from(" \t\n\r"), max_size=4),
        inserted(TEXT, ['"', "\\", "\n", "\t", "\x00", "\x1b", "\x7f", "\u2028"]),
    ),
    "description": inserted(TEXT, ['"', "\\", "\r", "\x0c"]) | st.just("   "),
    "author_name": inserted(TEXT, ['"', "\\", "\x07"]) | st.just(""),
    "project_slug": st.one_of(
        st.just(""),
        inserted(SLUGS, ["_", " ", ".", "A", "é", "--", "/", "\n", "'"]),
        SLUGS.map(lambda slug: f"-{slug}"),
        SLUGS.map(lambda slug: f"{slug}-"),
        SLUGS.map(lambda slug: f"1{slug}"),
    ),
    "package_name": st.one_of(
        inserted(SLUGS.map(lambda slug: slug.replace("-", "_")), ["-", " ", ".", "A", "é", "'"]),
        SLUGS.map(lambda slug: f"1{slug.replace('-', '_')}"),
        st.sampled_from(sorted({*keyword.kwlist, *keyword.softkwlist})),
        st.sampled_from(sorted(sys.stdlib_module_names)).filter(lambda name: name.islower()),
        st.sampled_from(sorted(SHADOWED)),
    ),
    "author_email": st.one_of(
        st.just(""),
        EMAILS.map(lambda email: email.replace("@", "")),
        EMAILS.map(lambda email: email.partition("@")[0] + "@localhost"),
        EMAILS.map(lambda email: f"{email}@{email}"),
        inserted(EMAILS, [" ", '"', "\\", "\n"]),
    ),
    "version": st.one_of(
        st.just(""),
        VERSIONS.map(lambda version: f"v{version}"),
        inserted(VERSIONS, ["-", " ", "_", "/", "x"]),
    ),
    "python_version": st.text(max_size=6).filter(lambda version: version not in PYTHON_VERSIONS),
}
ONE_BAD_ANSWER = st.sampled_from(sorted(BAD)).flatmap(
    lambda name: st.tuples(st.just(name), BAD[name])
)


@cache
def defaults() -> dict[str, str]:
    return default_answers()


@settings(max_examples=1500, deadline=None)
@given(ONE_BAD_ANSWER)
def test_every_generated_bad_answer_is_refused_with_one_line_naming_it(
    bad: tuple[str, str],
) -> None:
    name, value = bad

    found = problems({**defaults(), name: value})

    assert len(found) == 1, found
    (line,) = found
    assert (
        line.startswith(f"{name} {value!r} ")
        or line == f"{name} is empty; give a short non-empty text"
    )
    assert "\n" not in line
    assert " use " in line or "give" in line  # says what would be accepted


ACCEPTED = st.fixed_dictionaries(
    {
        "project_name": TEXT,
        "description": TEXT,
        "author_name": TEXT,
        "author_email": EMAILS,
        "version": VERSIONS,
        "python_version": st.sampled_from(PYTHON_VERSIONS),
        "project_slug": SLUGS,
    }
).map(lambda answers: {**answers, "package_name": answers["project_slug"].replace("-", "_")})


def shadows(package: str) -> bool:
    """Whether a well-formed package name is taken: a keyword, a module, a dependency."""
    taken = sys.stdlib_module_names | PRE_GEN.NEWER_STDLIB | SHADOWED
    return keyword.iskeyword(package) or keyword.issoftkeyword(package) or package in taken


@settings(max_examples=500, deadline=None)
@given(ACCEPTED.filter(lambda answers: not shadows(answers["package_name"])))
def test_generated_good_answers_are_accepted(answers: dict[str, str]) -> None:
    assert problems({**defaults(), **answers}) == []


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# Two answers never reach the hook: cookiecutter itself refuses a value outside a choice
# list, and fails on an empty slug before any hook runs (it would render into `output`).
@given(
    ONE_BAD_ANSWER.filter(lambda bad: bad[0] != "python_version" and bad != ("project_slug", ""))
)
def test_a_bake_with_a_generated_bad_answer_fails_and_leaves_nothing(
    capfd: pytest.CaptureFixture[str], bad: tuple[str, str]
) -> None:
    name, value = bad
    # Slug and package given, so a bad project name is the one bad answer.
    context = {"project_slug": "orders-service", "package_name": "orders_service", name: value}
    output = Path(tempfile.mkdtemp(prefix="fuzz-bake-"))

    with pytest.raises(FailedHookException):
        cookiecutter(
            str(TEMPLATE_ROOT), no_input=True, extra_context=context, output_dir=str(output)
        )

    assert list(output.iterdir()) == []
    printed = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR: ")]
    assert len(printed) == 1
    assert printed[0].startswith(f"ERROR: {name} ")


@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ACCEPTED.filter(lambda answers: not shadows(answers["package_name"])))
def test_generated_good_answers_bake_a_project_that_passes_ruff(answers: dict[str, str]) -> None:
    output = Path(tempfile.mkdtemp(prefix="fuzz-bake-"))
    root = Path(
        cookiecutter(
            str(TEMPLATE_ROOT), no_input=True, extra_context=answers, output_dir=str(output)
        )
    )

    for args in (("check",), ("format", "--check")):
        run = ruff(root, *args)
        assert run.returncode == 0, run.stdout + run.stderr
