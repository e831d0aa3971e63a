"""Every error is an RFC 9457 problem; nothing about the server's insides leaks."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

PROBLEM = "application/problem+json"


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    async def explode() -> None:
        raise RuntimeError("token=hunter2 leaked from deep inside")

    app.add_api_route("/test/explode", explode)
    return app


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/nope", headers={"X-Request-ID": "req-404"})

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "instance": "/nope",
        "request_id": "req-404",
    }


async def test_wrong_method_is_a_405_problem(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health/live")

    assert response.status_code == 405
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["title"] == "Method Not Allowed"


async def test_a_405_allows_every_method_of_the_path_not_only_the_first_route(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async def read() -> None: ...

    async def write() -> None: ...

    app.add_api_route("/test/both", read, methods=["GET"])
    app.add_api_route("/test/both", write, methods=["PUT"])

    response = await client.delete("/test/both")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, PUT"


async def test_a_body_that_is_not_utf8_json_is_a_400_problem(client: httpx.AsyncClient) -> None:
    not_utf8 = b'{"content": "\xff"}'

    response = await client.post(
        "/api/v1/digests", content=not_utf8, headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


async def test_invalid_body_is_a_422_problem_naming_each_field(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/v1/digests", json={"content": 5, "algorithm": "md5"})

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["title"] == "Unprocessable Entity"
    locations = {tuple(error["location"]) for error in problem["errors"]}
    assert locations == {("body", "content"), ("body", "algorithm")}


async def test_malformed_json_is_a_422_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/digests", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["type"] == "json_invalid"


async def test_unhandled_exception_is_a_bare_500_problem_logged_with_the_request_id(
    client: httpx.AsyncClient,
) -> None:
    with capture_logs(processors=[merge_contextvars]) as logs:
        response = await client.get("/test/explode", headers={"X-Request-ID": "req-500"})

    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["x-request-id"] == "req-500"
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "request_id": "req-500",
    }
    assert "hunter2" not in response.text
    errors = [line for line in logs if line["event"] == "unhandled_error"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == "req-500"
    assert errors[0]["exc_info"] is True
