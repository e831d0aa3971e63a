"""The OpenAPI document tells the truth, so generated clients can rely on it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

PROBLEM_REF = "#/components/schemas/Problem"


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for path_item in document["paths"].values() for op in path_item.values()]


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)


def test_every_operation_has_a_unique_readable_operation_id_and_a_tag(
    document: dict[str, Any],
) -> None:
    operations = _operations(document)
    ids = [operation["operationId"] for operation in operations]

    assert len(ids) == len(set(ids))
    assert all(op_id.isidentifier() for op_id in ids)
    assert all(operation.get("tags") for operation in operations)


def test_every_error_response_is_a_problem_under_its_own_media_type(
    document: dict[str, Any],
) -> None:
    for operation in _operations(document):
        for status, response in operation["responses"].items():
            is_error = status.startswith(("4", "5"))
            if not is_error or operation["operationId"] == "readiness":
                continue  # readiness answers 503 with its own report, documented as such
            assert list(response["content"]) == ["application/problem+json"], (
                operation["operationId"],
                status,
            )
            schema = response["content"]["application/problem+json"]["schema"]
            assert schema == {"$ref": PROBLEM_REF}


def test_validation_errors_are_documented_as_problems_not_fastapi_defaults(
    document: dict[str, Any],
) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    digests = document["paths"]["/api/v1/digests"]["post"]
    assert "422" in digests["responses"]


def test_docs_routes_stay_out_of_the_document(document: dict[str, Any]) -> None:
    assert not {"/docs", "/redoc", "/openapi.json", "/metrics"} & set(document["paths"])


def test_every_operation_with_a_body_documents_its_refusals(document: dict[str, Any]) -> None:
    with_body = [op for op in _operations(document) if "requestBody" in op]

    assert with_body
    for operation in with_body:
        assert {"400", "413", "422"} <= set(operation["responses"]), operation["operationId"]
