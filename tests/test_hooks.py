"""The hooks import unrendered, the pruning table is sound, the matrix covers the options."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import PurePosixPath

from matrix import COMBOS, SLOW_COMBOS, SLOW_IDS
from template import (
    OWNED_PATHS,
    POST_GEN,
    PRE_GEN,
    choices,
    cookiecutter_json,
    default_answers,
    holds,
)


def test_hooks_import_unrendered_and_expose_their_entry_points() -> None:
    assert callable(PRE_GEN.problems)
    assert callable(PRE_GEN.main)
    assert callable(POST_GEN.paths_to_remove)
    assert callable(POST_GEN.main)


def test_owned_paths_are_unique() -> None:
    every_path = [path for paths in OWNED_PATHS.values() for path in paths]

    assert [path for path, count in Counter(every_path).items() if count > 1] == []


def test_owned_paths_are_relative_posix_paths_inside_the_project() -> None:
    for path in (path for paths in OWNED_PATHS.values() for path in paths):
        pure = PurePosixPath(path)
        assert not pure.is_absolute(), path
        assert ".." not in pure.parts, path
        assert str(pure) == path, f"{path!r} is not in normal form"


def test_owned_paths_name_template_options_and_their_values() -> None:
    options = choices()
    for rule in OWNED_PATHS:
        assert rule, "a rule needs at least one condition"
        for option, keep in (part for condition in rule for part in condition):
            assert option in options, option
            assert keep <= set(options[option]), (option, keep)


def test_a_rule_of_alternatives_holds_when_any_alternative_does() -> None:
    rule = POST_GEN.either(POST_GEN.when(cache={"redis"}), POST_GEN.when(worker={"arq"}))

    assert holds(rule, {"cache": "redis", "worker": "none"})
    assert holds(rule, {"cache": "none", "worker": "arq"})
    assert not holds(rule, {"cache": "memory", "worker": "none"})


def test_post_gen_answers_cover_every_option_of_the_table() -> None:
    options = {option for rule in OWNED_PATHS for condition in rule for option, _ in condition}
    assert options | {"package_name"} <= set(POST_GEN.ANSWERS)


def test_hook_answers_are_template_variables() -> None:
    variables = set(cookiecutter_json())

    assert set(PRE_GEN.RENDERED) <= variables
    assert set(POST_GEN.ANSWERS) <= variables


def test_pre_gen_hook_sees_every_answer_of_the_template() -> None:
    variables = {name for name in cookiecutter_json() if not name.startswith("_")}

    assert set(PRE_GEN.RENDERED) == variables


def test_the_defaults_keep_every_feature_of_their_choices() -> None:
    # Only paths owned by another value of a choice (cache=memory beside redis), or by the
    # stand-in for a feature switched off (the worker's keys in Redis without a database), go.
    defaults = default_answers()
    removed = {rule for rule in OWNED_PATHS if not holds(rule, defaults)}

    def another_value(option: str, values: frozenset[str]) -> bool:
        off = values <= {"none", "False"}
        return defaults[option] not in values and (len(choices()[option]) > 2 or off)

    assert all(
        any(another_value(option, values) for option, values in condition)
        for rule in removed
        for condition in rule
    )


def test_matrix_ids_are_unique() -> None:
    assert len({combo.id for combo in COMBOS}) == len(COMBOS)


def test_matrix_covers_every_value_of_every_option() -> None:
    seen = {
        (name, value)
        for combo in COMBOS
        for name, value in default_answers(**combo.context).items()
    }
    wanted = {(name, value) for name, values in choices().items() for value in values}

    assert wanted - seen == set()


def test_matrix_pairs_every_cache_with_every_database() -> None:
    options = choices()
    seen = {
        (answers["cache"], answers["database"])
        for answers in (default_answers(**combo.context) for combo in COMBOS)
    }

    assert set(itertools.product(options["cache"], options["database"])) - seen == set()


def test_matrix_pairs_the_worker_with_every_database_and_cache() -> None:
    # Without a database the worker keeps its idempotency keys in Redis; without the Redis
    # cache it still needs the Redis server.
    options = choices()
    bakes = [default_answers(**combo.context) for combo in COMBOS]
    seen = {(answers["worker"], answers["database"]) for answers in bakes}
    seen_caches = {answers["cache"] for answers in bakes if answers["worker"] == "arq"}

    assert set(itertools.product(options["worker"], options["database"])) - seen == set()
    assert set(options["cache"]) - seen_caches == set()


def test_matrix_keeps_every_owned_path_somewhere_and_all_off_keeps_none() -> None:
    bakes = [default_answers(**combo.context) for combo in COMBOS]
    all_off = default_answers(**next(c for c in COMBOS if c.id == "all-off").context)

    assert all(any(holds(condition, answers) for answers in bakes) for condition in OWNED_PATHS)
    assert not any(holds(condition, all_off) for condition in OWNED_PATHS)


def test_slow_bakes_exist_and_keep_the_default_python() -> None:
    default_python = default_answers()["python_version"]

    assert {combo.id for combo in SLOW_COMBOS} == set(SLOW_IDS)
    assert all(
        default_answers(**combo.context)["python_version"] == default_python
        for combo in SLOW_COMBOS
    )
