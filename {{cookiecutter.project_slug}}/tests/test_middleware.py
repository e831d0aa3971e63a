"""The request middleware: one ID per request, echoed and logged; one access line."""

from __future__ import annotations

import re

import httpx
import pytest
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs


async def test_a_request_without_an_id_gets_a_generated_one(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_a_sane_incoming_id_is_kept(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "edge-7f3a:01"})

    assert response.headers["x-request-id"] == "edge-7f3a:01"


@pytest.mark.parametrize("incoming", ["a" * 129, "has space", "new\\nline", "<script>"])
async def test_an_unsafe_incoming_id_is_replaced(client: httpx.AsyncClient, incoming: str) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": incoming})

    assert response.headers["x-request-id"] != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_each_request_writes_one_access_line_with_the_route_template(
    client: httpx.AsyncClient,
) -> None:
    with capture_logs(processors=[merge_contextvars]) as logs:
        await client.post("/api/v1/digests", json={"content": "x"}, headers={"X-Request-ID": "r1"})

    access = [line for line in logs if line["event"] == "request"]
    assert len(access) == 1
    line = access[0]
    assert line["method"] == "POST"
    assert line["path"] == "/api/v1/digests"
    assert line["status"] == 200
    assert line["request_id"] == "r1"
    assert line["duration_ms"] >= 0


async def test_an_unmatched_path_is_logged_without_its_raw_text(
    client: httpx.AsyncClient,
) -> None:
    with capture_logs(processors=[merge_contextvars]) as logs:
        await client.get("/wp-admin/secret-probe")

    (line,) = [line for line in logs if line["event"] == "request"]
    assert line["path"] == "<unmatched>"
    assert line["status"] == 404


async def test_the_access_line_has_the_status_as_a_plain_number(client: httpx.AsyncClient) -> None:
    # Problems are built from HTTPStatus members, which console lines would show as their repr.
    with capture_logs(processors=[merge_contextvars]) as logs:
        await client.post("/api/v1/digests", json={})

    (line,) = [line for line in logs if line["event"] == "request"]
    assert type(line["status"]) is int
    assert line["status"] == 422


async def test_request_ids_do_not_leak_between_requests(client: httpx.AsyncClient) -> None:
    with capture_logs(processors=[merge_contextvars]) as logs:
        await client.get("/health/live", headers={"X-Request-ID": "first"})
        await client.get("/health/live")

    ids = [line["request_id"] for line in logs if line["event"] == "request"]
    assert ids[0] == "first"
    assert ids[1] != "first"
