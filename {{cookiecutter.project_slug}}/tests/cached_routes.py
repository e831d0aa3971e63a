"""A test-only cached route, for cache behaviour that must hold whatever the domains are."""

from __future__ import annotations

from fastapi import FastAPI

from {{ cookiecutter.package_name }}.cache.routes import cached_route

PATH = "/test/cached"


class Counted:
    """The route's source of truth: a value, and how many times it was computed."""

    def __init__(self) -> None:
        self.value = "first"
        self.calls = 0


def add_cached_route(app: FastAPI) -> Counted:
    """Add `GET /test/cached` (cached) and `POST /test/cached` (invalidates) to the app."""
    state = Counted()

    async def read() -> dict[str, str]:
        state.calls += 1
        return {"value": state.value}

    async def write(value: str) -> dict[str, str]:
        state.value = value
        return {"value": value}

    route_class = cached_route("test")
    app.router.add_api_route(PATH, read, methods=["GET"], route_class_override=route_class)
    app.router.add_api_route(PATH, write, methods=["POST"], route_class_override=route_class)
    return state
