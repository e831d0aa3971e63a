"""Catch a request that blocks the event loop (a `time.sleep`, a sync driver call...).

asyncio's debug mode times every callback and logs the slow ones on the `asyncio`
logger; this module turns those records into a test failure.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

# Generous enough for a loaded CI machine (a busy core can delay a step by a few hundred
# milliseconds), and still far below what a blocking call in a route costs its users.
DEFAULT_THRESHOLD_SECONDS = float(os.environ.get("BLOCKING_THRESHOLD_SECONDS", "0.5"))


class _SlowCallbacks(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Executing"):
            self.messages.append(message)


@asynccontextmanager
async def detect_blocking(threshold: float = DEFAULT_THRESHOLD_SECONDS) -> AsyncIterator[list[str]]:
    """Collect a message for every loop step that ran longer than `threshold` seconds."""
    loop = asyncio.get_running_loop()
    previous_debug, previous_threshold = loop.get_debug(), loop.slow_callback_duration
    loop.set_debug(True)
    loop.slow_callback_duration = threshold
    handler = _SlowCallbacks()
    asyncio_logger = logging.getLogger("asyncio")
    asyncio_logger.addHandler(handler)
    try:
        # The loop times a step only if debug mode was on when the step began: start a
        # fresh step for the body, and end the body's last step while still watching.
        await asyncio.sleep(0)
        yield handler.messages
        await asyncio.sleep(0)
    finally:
        asyncio_logger.removeHandler(handler)
        loop.set_debug(previous_debug)
        loop.slow_callback_duration = previous_threshold
