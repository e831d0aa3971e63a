"""While the app runs the garbage collector is tuned for a server; afterwards it is as before."""

from __future__ import annotations

import gc
import weakref

from {{ cookiecutter.package_name }}.gc_tuning import tuned_garbage_collection
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings

from .serving import serving


class _Node:
    def __init__(self) -> None:
        self.peer: _Node | None = None


def test_the_young_threshold_is_raised_and_existing_objects_frozen_until_the_end() -> None:
    before = gc.get_threshold()

    with tuned_garbage_collection(12_345):
        assert gc.get_threshold() == (12_345, *before[1:])
        assert gc.get_freeze_count() > 0

    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_two_apps_share_one_tuning_until_the_last_one_stops() -> None:
    before = gc.get_threshold()

    first = tuned_garbage_collection(12_345)
    second = tuned_garbage_collection(12_345)
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)

    assert gc.get_threshold()[0] == 12_345
    assert gc.get_freeze_count() > 0

    second.__exit__(None, None, None)

    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_zero_keeps_the_interpreters_settings() -> None:
    before = gc.get_threshold()

    with tuned_garbage_collection(0):
        assert gc.get_threshold() == before
        assert gc.get_freeze_count() == 0


def test_cycles_made_while_tuned_are_still_collected() -> None:
    with tuned_garbage_collection(10_000):
        first, second = _Node(), _Node()
        first.peer, second.peer = second, first
        gone = weakref.ref(first)
        del first, second

        gc.collect()

        assert gone() is None


async def test_the_app_runs_with_the_configured_threshold(settings: Settings) -> None:
    before = gc.get_threshold()
    app = create_app(settings.model_copy(update={"gc_young_threshold": 4_321}))

    async with serving(app):
        assert gc.get_threshold()[0] == 4_321

    assert gc.get_threshold() == before
