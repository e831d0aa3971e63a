"""The Kubernetes manifests agree with the app they deploy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml

DEPLOYMENT = Path(__file__).resolve().parent.parent / "deploy" / "kubernetes" / "deployment.yaml"
PROBES = ("startupProbe", "livenessProbe", "readinessProbe")


def _api_container() -> dict[str, Any]:
    deployment = yaml.safe_load(DEPLOYMENT.read_text(encoding="utf-8"))
    container: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]
    return container


async def test_every_probe_asks_a_route_that_answers_200_when_healthy(
    client: httpx.AsyncClient,
) -> None:
    paths = sorted({_api_container()[probe]["httpGet"]["path"] for probe in PROBES})

    statuses = {path: (await client.get(path)).status_code for path in paths}

    assert statuses == dict.fromkeys(paths, 200)
