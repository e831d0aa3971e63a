"""The cyclic garbage collector, tuned for a long-running server while the app runs.

With CPython's defaults a loaded worker spends a large share of its CPU in the collector.
The requests in flight keep more new
objects alive than the default young threshold (700), so a young collection ran every
few requests; what they promoted set off a full collection about twice a second, and
each one walked every object built at startup (~30 ms, a stall for every request in
flight at the time).

Two changes, both undone when the app stops:
- a higher young threshold: requests in flight alone no longer set off collections;
- `gc.freeze()` once started: what startup built (modules, routes, schemas, pools) lives
  as long as the process, so full collections stop walking it.
Cycles are still collected; this changes when, not whether.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


class _Tuning:
    """The apps running with the tuning, and the settings to restore after the last one."""

    def __init__(self) -> None:
        self.apps = 0
        self.previous = gc.get_threshold()


# Process-wide, like the collector itself: two apps in one process (tests, an app
# mounted in another) share one tuning, set by the first to start, undone by the last.
_TUNING = _Tuning()


@contextmanager
def tuned_garbage_collection(young_threshold: int) -> Iterator[None]:
    """Raise the young-generation threshold and freeze what exists; 0 changes nothing.

    Startup garbage not yet collected is frozen too, and freed once the app stops: a
    collection first would cost every start (and every test) a full pass over the heap.
    """
    if not young_threshold:
        yield
        return
    if _TUNING.apps == 0:
        _TUNING.previous = gc.get_threshold()
        gc.set_threshold(young_threshold, *_TUNING.previous[1:])
        gc.freeze()
    _TUNING.apps += 1
    try:
        yield
    finally:
        _TUNING.apps -= 1
        if _TUNING.apps == 0:
            gc.unfreeze()
            gc.set_threshold(*_TUNING.previous)
