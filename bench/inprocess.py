"""Serve one request path in process, many times, for callgrind to count the instructions.

Run by `instructions.py` with a bake's own Python, under
`valgrind --tool=callgrind --instr-atstart=no`:

    python inprocess.py TARGET PATH --requests N --in-flight C [--factory] [--app-dir DIR]

TARGET is `module:attribute` as uvicorn takes it. The app's lifespan runs, then a warm-up of
the same requests, then the counted ones: callgrind counts only between the two
`callgrind_control` calls, so start-up, warm-up and shutdown are left out. Each request is a
fresh ASGI scope sent straight to the app (no HTTP server, no socket), with the lifespan's state
copied in as uvicorn copies it; every answer must be a 200 (`--expect-header` also names a
header every counted answer must have), or the run fails.

Standard library only, plus the bake's uvloop: it runs in the bake's venv.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
WARMUP_ROUNDS = 50


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("target", help="module:attribute, as uvicorn takes it")
    parser.add_argument("path", help="the request path, query string included")
    parser.add_argument("--requests", type=int, default=2048, help="requests counted (2048)")
    parser.add_argument("--in-flight", type=int, default=8, help="requests at once (8)")
    parser.add_argument("--factory", action="store_true", help="TARGET builds the app")
    parser.add_argument("--app-dir", help="a directory to import TARGET from")
    parser.add_argument(
        "--expect-header", metavar="NAME=VALUE", help="a header every answer must have (lower case)"
    )
    return parser.parse_args(argv)


def load_app(target: str, *, factory: bool, app_dir: str | None) -> ASGIApp:
    if app_dir:
        sys.path.insert(0, app_dir)
    module_name, _, attribute = target.partition(":")
    app: Any = getattr(importlib.import_module(module_name), attribute)
    return app() if factory else app  # type: ignore[no-any-return]


def request_scope(path: str, state: dict[str, Any]) -> Scope:
    route, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"127.0.0.1"), (b"user-agent", b"inprocess"), (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": dict(state),
    }


class Driver:
    """Sends requests to the app and checks every answer."""

    def __init__(self, app: ASGIApp, path: str, state: dict[str, Any], header: str | None) -> None:
        self.app = app
        self.path = path
        self.state = state
        name, _, value = (header or "").partition("=")
        self.header = (name.encode(), value.encode()) if header else None
        # Off while warming up: the first reads of a cached path are its misses.
        self.check_header = False

    async def one(self) -> None:
        started: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.append(message)

        await self.app(request_scope(self.path, self.state), receive, send)
        if len(started) != 1 or started[0]["status"] != 200:
            raise SystemExit(f"inprocess: {self.path} answered {started}")
        if self.check_header and self.header and self.header not in started[0]["headers"]:
            raise SystemExit(f"inprocess: {self.path} answered {started[0]['headers']}")

    async def run(self, requests: int, in_flight: int) -> None:
        async def worker(count: int) -> None:
            for _ in range(count):
                await self.one()

        share, rest = divmod(requests, in_flight)
        await asyncio.gather(*(worker(share + (i < rest)) for i in range(in_flight)))


class Lifespan:
    """The app's lifespan, driven as a server drives it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self.to_app: asyncio.Queue[Message] = asyncio.Queue()
        self.from_app: asyncio.Queue[Message] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def _send(self, message: Message) -> None:
        await self.from_app.put(message)

    async def _step(self, event: str) -> None:
        await self.to_app.put({"type": f"lifespan.{event}"})
        answer = await self.from_app.get()
        if answer["type"] != f"lifespan.{event}.complete":
            raise SystemExit(f"inprocess: lifespan {event} answered {answer}")

    async def start(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}
        self.task = asyncio.ensure_future(self.app(scope, self.to_app.get, self._send))
        await self._step("startup")

    async def stop(self) -> None:
        await self._step("shutdown")
        if self.task is not None:
            await self.task


def counting(on: bool) -> None:
    """Switch callgrind's counting for this process (a no-op outside callgrind)."""
    if os.environ.get("INPROCESS_UNDER_CALLGRIND"):
        switch = "on" if on else "off"
        command = ["callgrind_control", "-i", switch, str(os.getpid())]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


async def serve(options: argparse.Namespace) -> None:
    app = load_app(options.target, factory=options.factory, app_dir=options.app_dir)
    lifespan = Lifespan(app)
    await lifespan.start()
    try:
        driver = Driver(app, options.path, lifespan.state, options.expect_header)
        await driver.run(WARMUP_ROUNDS * options.in_flight, options.in_flight)
        driver.check_header = True
        counting(True)
        await driver.run(options.requests, options.in_flight)
        counting(False)
    finally:
        await lifespan.stop()


def main(argv: list[str] | None = None) -> int:
    import uvloop

    uvloop.run(serve(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
