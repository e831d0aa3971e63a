"""The OpenAPI document: built once, with problem responses under their real media type."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from .errors import PROBLEM_MEDIA_TYPE

_PROBLEM_REF = "#/components/schemas/Problem"


def operation_id(route: APIRoute) -> str:
    """Use the endpoint's name as the operationId: stable, readable, unique per app."""
    return route.name


def install_openapi(app: FastAPI) -> None:
    """Replace `app.openapi` with a builder that corrects problem media types."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            _move_problems_to_problem_media_type(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]


def _move_problems_to_problem_media_type(document: dict[str, Any]) -> None:
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                json_body = content.get("application/json")
                if json_body and json_body.get("schema", {}).get("$ref") == _PROBLEM_REF:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
