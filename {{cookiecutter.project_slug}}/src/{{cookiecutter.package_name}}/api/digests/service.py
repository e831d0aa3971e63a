"""Hashing runs in a worker thread: on a large input it would stall every other request.

`hashlib` releases the GIL for inputs over 2 KiB, so the worker threads really run in
parallel with the event loop.
"""

from __future__ import annotations

import hashlib

from anyio import to_thread

from .schemas import Algorithm, Digest


async def compute(*, content: bytes, algorithm: Algorithm) -> Digest:
    """Digest `content` off the event loop."""
    hex_digest = await to_thread.run_sync(_hexdigest, content, algorithm)
    return Digest(algorithm=algorithm, size=len(content), hex=hex_digest)


def _hexdigest(content: bytes, algorithm: Algorithm) -> str:
    return hashlib.new(algorithm, content).hexdigest()
