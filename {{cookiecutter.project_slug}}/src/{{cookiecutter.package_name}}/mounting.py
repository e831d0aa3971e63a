"""Adding a router's operations to the app as flat routes, with the app's own settings.

`app.include_router` keeps the router as a nested branch that FastAPI resolves again on
every request, which costs about 30 µs on each one. Adding each operation to the app's
own route table instead costs nothing per request, and the operations get exactly what
`include_router` would give them: the prefix, the extra responses, the app's unique-ID
function, and the app as their dependency-overrides provider (so `app.dependency_overrides`
works in tests).

The app tries its routes in order, so most routes a request meets are not its own. FastAPI's
`matches` turns such a route away only after its own route-context lookup and three reads of a
`Match` member, each a Python descriptor call on Python 3.11: about 11,000 instructions per
route passed over. A mounted route turns away a path its pattern does not match first, by the
pattern alone (bench/README.md of the template).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter
from starlette.routing import Match
from starlette.types import Scope

_NO_MATCH = Match.NONE


def mount(
    app: FastAPI,
    router: APIRouter,
    *,
    prefix: str = "",
    responses: dict[int | str, dict[str, Any]] | None = None,
) -> None:
    """Add every operation of `router` to `app`, under `prefix`, with `responses` too."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"{route!r}: only path operations can be mounted flat")
        app.router.add_api_route(
            prefix + route.path,
            route.endpoint,
            route_class_override=_flat(type(route)),
            responses={**(responses or {}), **route.responses},
            **_operation_settings(route),
        )


def _operation_settings(route: APIRoute) -> dict[str, Any]:
    """What the operation declared, as `add_api_route` takes it."""
    return {
        "response_model": route.response_model,
        "status_code": route.status_code,
        "tags": route.tags,
        "dependencies": route.dependencies,
        "summary": route.summary,
        "description": route.description,
        "response_description": route.response_description,
        "deprecated": route.deprecated,
        "methods": route.methods,
        "operation_id": route.operation_id,
        "response_model_include": route.response_model_include,
        "response_model_exclude": route.response_model_exclude,
        "response_model_by_alias": route.response_model_by_alias,
        "response_model_exclude_unset": route.response_model_exclude_unset,
        "response_model_exclude_defaults": route.response_model_exclude_defaults,
        "response_model_exclude_none": route.response_model_exclude_none,
        "include_in_schema": route.include_in_schema,
        "response_class": route.response_class,
        "name": route.name,
        "callbacks": route.callbacks,
        "openapi_extra": route.openapi_extra,
        "generate_unique_id_function": route.generate_unique_id_function,
        "strict_content_type": route.strict_content_type,
        "max_body_size": route.max_body_size,
        "form_limits": route.form_limits,
    }


class _FlatRoute(APIRoute):
    """A route in the app's own table: another route's path is turned away by the pattern."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # With a root path, the path the pattern sees is not scope["path"]: FastAPI's way.
        if not scope.get("root_path") and self.path_regex.match(scope["path"]) is None:
            return _NO_MATCH, {}
        return super().matches(scope)


# One flat class per route class (`cached_route` makes one per router).
_FLAT_CLASSES: dict[type[APIRoute], type[APIRoute]] = {}


def _flat(route_class: type[APIRoute]) -> type[APIRoute]:
    """`route_class` with `_FlatRoute`'s matching."""
    if issubclass(route_class, _FlatRoute):
        return route_class
    if route_class not in _FLAT_CLASSES:
        _FLAT_CLASSES[route_class] = type(route_class.__name__, (_FlatRoute, route_class), {})
    return _FLAT_CLASSES[route_class]
