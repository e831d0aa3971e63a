"""The OpenAPI document: built once, with problem responses under their real media type."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from .errors import PROBLEM_MEDIA_TYPE

_PROBLEM_REF = "#/components/schemas/Problem"

# Adds what the routes cannot declare themselves, such as refusals made ahead of routing.
Amendment = Callable[[dict[str, Any]], None]


def operation_id(route: APIRoute) -> str:
    """Use the endpoint's name as the operationId: stable, readable, unique per app."""
    return route.name


def install_openapi(app: FastAPI, amendments: Sequence[Amendment] = ()) -> None:
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
            _document_body_refusals(document)
            for amend in amendments:
                amend(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every operation of the document, with its method in upper case."""
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            yield method.upper(), operation


def _move_problems_to_problem_media_type(document: dict[str, Any]) -> None:
    for _, operation in operations(document):
        for response in operation.get("responses", {}).values():
            content = response.get("content", {})
            json_body = content.get("application/json")
            if json_body and json_body.get("schema", {}).get("$ref") == _PROBLEM_REF:
                content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")


def _document_body_refusals(document: dict[str, Any]) -> None:
    """Any operation that reads a body may refuse it: 400 (not JSON), 413 (over the limit)."""
    refusals = (HTTPStatus.BAD_REQUEST, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    for _, operation in operations(document):
        if "requestBody" in operation:
            for status in refusals:
                operation["responses"].setdefault(str(int(status)), documented_problem(status))


def documented_problem(status: HTTPStatus) -> dict[str, Any]:
    """The OpenAPI response of a problem with this status."""
    return {
        "description": status.phrase,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": _PROBLEM_REF}}},
    }
