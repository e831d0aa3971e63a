"""One error shape for every failure: RFC 9457 `application/problem+json`.

Domain code raises `AppError` subclasses; the handlers here turn those, HTTP errors
and validation errors into problem documents. Unhandled exceptions are caught by the
request middleware, logged with the request ID, and answered with a bare 500 problem:
no stack trace or exception text ever reaches a client.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.routing import Match

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    """One invalid input: where it is and what is wrong with it."""

    location: list[str | int] = Field(description="Path to the value, e.g. ['body', 'name'].")
    message: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(default="about:blank", description="URI identifying the problem type.")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = Field(default=None, description="The request path.")
    request_id: str | None = None
    errors: list[FieldError] | None = Field(default=None, description="Invalid inputs (422).")


class AppError(Exception):
    """Base of the errors the service raises on purpose; each maps to one status."""

    status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(AppError):
    status = HTTPStatus.NOT_FOUND


class ConflictError(AppError):
    status = HTTPStatus.CONFLICT


class ServiceUnavailableError(AppError):
    status = HTTPStatus.SERVICE_UNAVAILABLE


class UpstreamError(AppError):
    status = HTTPStatus.BAD_GATEWAY


def problem_response(
    request_id: str | None,
    status: int,
    *,
    detail: str | None = None,
    instance: str | None = None,
    errors: list[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Build a problem+json response; the title is the status phrase."""
    problem = Problem(
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=instance,
        request_id=request_id,
        errors=errors,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers) if headers else None,
    )


def internal_error_response(request_id: str) -> JSONResponse:
    """The answer to an unhandled exception: status only, nothing about the cause."""
    return problem_response(request_id, HTTPStatus.INTERNAL_SERVER_ERROR)


def _request_id(request: Request) -> str | None:
    request_id: str | None = getattr(request.state, "request_id", None)
    return request_id


async def _app_error(request: Request, exc: AppError) -> JSONResponse:
    return problem_response(
        _request_id(request), exc.status, detail=exc.detail, instance=request.url.path
    )


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else None
    headers = exc.headers
    if exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        headers = {**(headers or {}), "Allow": _allowed_methods(request)}
    return problem_response(
        _request_id(request),
        exc.status_code,
        detail=detail,
        instance=request.url.path,
        headers=headers,
    )


def _allowed_methods(request: Request) -> str:
    """Every method the requested path serves, for the `Allow` header of a 405."""
    # Starlette's 405 names the methods of the first route whose path matched, and FastAPI
    # makes one route per operation: `Allow` would leave the path's other methods out.
    methods = {
        method
        for route in request.app.router.routes
        if route.matches(request.scope)[0] == Match.PARTIAL
        for method in getattr(route, "methods", None) or ()
    }
    return ", ".join(sorted(methods))


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [_field_error(error) for error in exc.errors()]
    return problem_response(
        _request_id(request),
        HTTPStatus.UNPROCESSABLE_ENTITY,
        detail="The request is invalid; see `errors`.",
        instance=request.url.path,
        errors=errors,
    )


def _field_error(error: Any) -> FieldError:
    return FieldError(
        location=list(jsonable_encoder(error.get("loc", ()))),
        message=str(error.get("msg", "")),
        type=str(error.get("type", "")),
    )


ExceptionHandlers = dict[
    int | type[Exception], Callable[[Request, Any], Coroutine[Any, Any, Response]]
]


def exception_handlers() -> ExceptionHandlers:
    """The handlers that render every expected error as a problem."""
    return {
        AppError: _app_error,
        StarletteHTTPException: _http_error,
        RequestValidationError: _validation_error,
    }


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries documenting that an operation can answer these problems."""
    return {status: _problem_entry(status) for status in statuses}


def _problem_entry(status: int) -> dict[str, Any]:
    # FastAPI files the model under the route's media type; `openapi.py` moves it to
    # application/problem+json when the document is built.
    return {"model": Problem, "description": HTTPStatus(status).phrase}
