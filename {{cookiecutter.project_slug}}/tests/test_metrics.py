"""Prometheus metrics: the request series dashboards need, without probe noise."""

from __future__ import annotations

import httpx


async def test_requests_are_counted_by_handler_method_and_status(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/api/v1/digests", json={"content": "x"})
    await client.post("/api/v1/digests", json={"content": "x"})

    text = (await client.get("/metrics")).text

    assert 'http_requests_total{handler="/api/v1/digests",method="POST",status="200"} 2.0' in text
    assert "http_request_duration_seconds_bucket{" in text


async def test_probes_and_scrapes_are_not_measured(client: httpx.AsyncClient) -> None:
    await client.get("/health/live")
    await client.get("/health/ready")
    await client.get("/metrics")

    text = (await client.get("/metrics")).text

    assert 'handler="/health/live"' not in text
    assert 'handler="/metrics"' not in text


async def test_the_metrics_endpoint_serves_the_prometheus_text_format(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
