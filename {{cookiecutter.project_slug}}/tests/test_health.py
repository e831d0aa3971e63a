"""Probes: liveness always answers; readiness reports every configured dependency."""

from __future__ import annotations

import httpx


async def test_liveness_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_is_ok_when_every_dependency_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert all(check["status"] == "ok" for check in body["checks"].values())
