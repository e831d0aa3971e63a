"""The Kubernetes manifests are valid against the API's schemas and agree with each other.

The schemas ship with `kubernetes-validate` (no network): every resource is checked,
strictly (unknown fields are errors), against the oldest Kubernetes the manifests
support and the newest the validator knows. What a schema cannot see is checked here:
the Service and PodDisruptionBudget select the Deployment's pods, ports agree, the
HorizontalPodAutoscaler scales the Deployment, and kustomize lists every file. The baked
project's own `tests/test_deploy.py` checks that the probes ask routes that answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from matrix import COMBOS, Combo, params
from template import BakeResult, default_answers

# Oldest supported: the preStop/probe/HPA v2/PDB v1 fields used need no newer release.
VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
MANIFESTS = "deploy/kubernetes"
WITH_KUBERNETES = tuple(
    combo for combo in COMBOS if default_answers(**combo.context)["deploy"] == "kubernetes"
)

WITH_DATABASE = tuple(
    combo for combo in WITH_KUBERNETES if default_answers(**combo.context)["database"] == "postgres"
)

each_combo = pytest.mark.parametrize("combo", params(WITH_KUBERNETES, "bake-"))

Resource = dict[str, Any]


def manifests(bake_once: Callable[[Combo], BakeResult], combo: Combo) -> Path:
    result = bake_once(combo)
    assert result.project_path is not None, repr(result.exception)
    return result.project_path / MANIFESTS


def resources(root: Path) -> Iterator[tuple[Path, Resource]]:
    """Every Kubernetes resource in the manifests, kustomizations aside."""
    for path in sorted(root.rglob("*.yaml")):
        if path.name != "kustomization.yaml":
            yield from ((path, document) for document in yaml.safe_load_all(path.read_text()))


def component(resource: Resource) -> str:
    labels: dict[str, str] = resource["metadata"].get("labels", {})
    return labels.get("app.kubernetes.io/component", "")


def by_kind(root: Path) -> dict[str, Resource]:
    """The API's resources by kind (the worker's Deployment aside: see `worker`)."""
    api = [resource for _, resource in resources(root) if component(resource) != "worker"]
    found = {resource["kind"]: resource for resource in api}
    assert len(found) == len(api), "one resource of each kind expected"
    return found


def workers(root: Path) -> list[Resource]:
    return [resource for _, resource in resources(root) if component(resource) == "worker"]


@each_combo
@pytest.mark.parametrize("version", VERSIONS)
def test_every_resource_is_valid_against_the_kubernetes_schema(
    bake_once: Callable[[Combo], BakeResult], combo: Combo, version: str
) -> None:
    for path, resource in resources(manifests(bake_once, combo)):
        try:
            kubernetes_validate.validate(resource, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{path.name}: {error.message} at {list(error.absolute_path)}")


@each_combo
def test_every_kustomization_lists_exactly_the_files_beside_it(
    bake_once: Callable[[Combo], BakeResult], combo: Combo
) -> None:
    for kustomization in manifests(bake_once, combo).rglob("kustomization.yaml"):
        listed = yaml.safe_load(kustomization.read_text())["resources"]
        beside = {p.name for p in kustomization.parent.glob("*.yaml")} - {kustomization.name}

        assert sorted(listed) == sorted(beside), kustomization


@each_combo
def test_service_and_disruption_budget_select_the_deployments_pods(
    bake_once: Callable[[Combo], BakeResult], combo: Combo
) -> None:
    kinds = by_kind(manifests(bake_once, combo))
    deployment = kinds["Deployment"]["spec"]
    pod_labels = deployment["template"]["metadata"]["labels"]

    assert deployment["selector"]["matchLabels"].items() <= pod_labels.items()
    assert kinds["Service"]["spec"]["selector"].items() <= pod_labels.items()
    assert kinds["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items() <= (
        pod_labels.items()
    )


def api_container(kinds: dict[str, Resource]) -> Resource:
    containers: list[Resource] = kinds["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


@each_combo
def test_service_and_probes_reach_the_port_the_image_serves_on(
    bake_once: Callable[[Combo], BakeResult], combo: Combo
) -> None:
    root = manifests(bake_once, combo)
    kinds = by_kind(root)
    container = api_container(kinds)
    named = {port["name"]: port["containerPort"] for port in container["ports"]}
    probes = ("startupProbe", "livenessProbe", "readinessProbe")

    assert set(named.values()) == {image_port(root.parent.parent / "Dockerfile")}
    assert {port["targetPort"] for port in kinds["Service"]["spec"]["ports"]} <= set(named)
    assert {container[probe]["httpGet"]["port"] for probe in probes} <= set(named)


def image_port(dockerfile: Path) -> int:
    """The port the image serves on by default: its `EXPOSE`."""
    exposed = [line.split()[1] for line in dockerfile.read_text().splitlines()
               if line.startswith("EXPOSE ")]  # fmt: skip
    assert len(exposed) == 1, exposed
    return int(exposed[0])


@each_combo
def test_autoscaler_scales_the_deployment(
    bake_once: Callable[[Combo], BakeResult], combo: Combo
) -> None:
    kinds = by_kind(manifests(bake_once, combo))
    target = kinds["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]

    assert (target["kind"], target["name"]) == (
        "Deployment",
        kinds["Deployment"]["metadata"]["name"],
    )


@each_combo
def test_grace_period_covers_the_pre_stop_pause_and_the_graceful_shutdown(
    bake_once: Callable[[Combo], BakeResult], combo: Combo
) -> None:
    kinds = by_kind(manifests(bake_once, combo))
    pod = kinds["Deployment"]["spec"]["template"]["spec"]
    pause = int(api_container(kinds)["lifecycle"]["preStop"]["exec"]["command"][-1])
    shutdown = int(kinds["ConfigMap"]["data"]["UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN"])

    assert pod["terminationGracePeriodSeconds"] > pause + shutdown


@each_combo
def test_secrets_are_referenced_never_committed(
    bake_once: Callable[[Combo], BakeResult], combo: Combo
) -> None:
    root = manifests(bake_once, combo)
    kinds = by_kind(root)
    names = {variable["name"] for variable in api_container(kinds).get("env", [])}
    answers = default_answers(**combo.context)
    wanted = {"DATABASE_URL", "APP_API_KEYS"} if answers["database"] == "postgres" else set()
    redis = answers["cache"] == "redis" or answers["worker"] == "arq"
    wanted |= {"REDIS_URL"} if redis else set()

    assert "Secret" not in kinds
    assert names == wanted
    assert not {"DATABASE_URL", "REDIS_URL"} & set(kinds["ConfigMap"]["data"])


# PostgreSQL's default max_connections and superuser reserve, and the service's own default
# reserve (APP_DB_RESERVED_CONNECTIONS): what the budget must fit under out of the box.
MAX_CONNECTIONS, SUPERUSER_RESERVED, RESERVED = 100, 3, 5


@pytest.mark.parametrize("combo", params(WITH_DATABASE, "bake-"))
def test_the_autoscalers_maximum_fits_the_connection_budget(
    bake_once: Callable[[Combo], BakeResult], combo: Combo
) -> None:
    root = manifests(bake_once, combo)
    kinds = by_kind(root)
    config = kinds["ConfigMap"]["data"]
    replicas = kinds["HorizontalPodAutoscaler"]["spec"]["maxReplicas"]
    pool = int(config["APP_DB_POOL_MAX_SIZE"])
    wanted = replicas * int(config["WEB_CONCURRENCY"]) * pool
    # Each job worker is one process with a pool of its own too.
    wanted += sum(worker["spec"]["replicas"] * pool for worker in workers(root))

    assert int(config["APP_REPLICAS"]) == replicas  # the service's own check uses the same
    assert wanted <= MAX_CONNECTIONS - SUPERUSER_RESERVED - RESERVED


@each_combo
def test_migration_job_exists_exactly_with_a_database(
    bake_once: Callable[[Combo], BakeResult], combo: Combo
) -> None:
    root = manifests(bake_once, combo)
    jobs = [resource for _, resource in resources(root) if resource["kind"] == "Job"]
    with_database = default_answers(**combo.context)["database"] == "postgres"

    assert len(jobs) == (1 if with_database else 0)
    if jobs:
        container = jobs[0]["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == ["alembic", "upgrade", "head"]
        assert container["image"] == api_container(by_kind(root))["image"]


@each_combo
def test_the_worker_runs_beside_the_api_exactly_with_the_job_queue(
    bake_once: Callable[[Combo], BakeResult], combo: Combo
) -> None:
    root = manifests(bake_once, combo)
    found = workers(root)
    if default_answers(**combo.context)["worker"] != "arq":
        assert found == []
        return
    (deployment,) = found
    pod = deployment["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    env = {variable["name"] for variable in container["env"]}

    assert (
        deployment["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    )
    assert container["command"][0] == "arq"
    assert container["livenessProbe"]["exec"]["command"][-1] == "--check"
    assert "REDIS_URL" in env
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["spec"]["terminationGracePeriodSeconds"] > 10  # the worker's shutdown grace
