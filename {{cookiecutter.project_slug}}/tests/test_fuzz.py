"""Property-based tests of every operation against the service's own OpenAPI document.

schemathesis generates valid and invalid requests from the document and sends them to the
app served by uvicorn. Each answer must match its documented schema and status, no answer
may be a 5xx other than the documented ones of a dead dependency (502, 503), and every
error must be a problem document. The run is short by default; CI or a developer can ask
for a longer one: FUZZ_EXAMPLES=500 FUZZ_SEED=1234 uv run pytest tests/test_fuzz.py
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import Case, CheckContext
from schemathesis.core.transport import Response

from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings

{% if cookiecutter.database == "postgres" -%}
from .api_key import WRITER_HEADERS
{% endif -%}
from .live_server import live_server

# A fixed seed by default, so a failure shows up on every run until it is fixed.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
SEED = int(os.environ.get("FUZZ_SEED", "0"))
# What a dead dependency is documented to answer; any other 5xx is a defect.
DEPENDENCY_FAILURES = frozenset({502, 503})
PROBLEM = "application/problem+json"
Check = Callable[[CheckContext, Response, Case[Any]], bool | None]

# Credentials every generated request carries; schemathesis also sends some without them
# and expects the 401.
CREDENTIALS: dict[str, str] = {}
{%- if cookiecutter.database == "postgres" %}
CREDENTIALS.update(WRITER_HEADERS)
{%- endif %}
# Upstreams the fuzzed service calls point at a closed port: their answer is the 502.
DEAD_UPSTREAMS: dict[str, Any] = {}
{%- if cookiecutter.use_http_client %}
DEAD_UPSTREAMS["inventory_api_url"] = "http://127.0.0.1:9"
DEAD_UPSTREAMS["http_connect_retries"] = 0
{%- endif %}

# Operations that may refuse a valid request by design, whatever the generated data.
KEY_BOUND: set[tuple[str, str]] = set()
{%- if cookiecutter.worker == "arq" %}
# An Idempotency-Key that came with another body is a 422 (its own tests cover it), and
# generated examples reuse short keys all the time.
KEY_BOUND.add(("POST", "/api/v1/orders"))
{%- endif %}

# Invalid data may also be refused for its size: 413 is a rejection too.
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "429"]
CONFIG = {
    "seed": SEED,
    "generation": {"max-examples": EXAMPLES},
    "checks": {"negative_data_rejection": {"expected-statuses": REJECTIONS}},
}
# The document only: no lifespan runs, so nothing is opened to build it.
DOCUMENT = create_app(Settings(_env_file=None, environment="test")).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config.from_dict(CONFIG))


@pytest.fixture
def base_url(settings: Settings) -> Iterator[str]:
    """The service, served by uvicorn, with its real database and cache."""
    with live_server(create_app(settings.model_copy(update=DEAD_UPSTREAMS))) as url:
        yield url


@schemathesis.check
def no_undocumented_server_error(ctx: CheckContext, response: Response, case: Case[Any]) -> bool:
    """A 5xx only as a dead dependency's documented answer, never an unexpected 500."""
    if response.status_code >= 500 and response.status_code not in DEPENDENCY_FAILURES:
        raise AssertionError(f"{response.status_code} for {case.method} {case.formatted_path}")
    return True


@schemathesis.check
def errors_are_problems(ctx: CheckContext, response: Response, case: Case[Any]) -> bool:
    """Every 4xx and 5xx is an RFC 9457 problem document."""
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", [""])[0]
        assert content_type == PROBLEM, f"{response.status_code} answered as {content_type!r}"
    return True


# One service per operation, shared by its examples on purpose (a new database per example
# would cost a second each): each example must hold whatever the previous ones stored.
SHARED_SERVICE = hypothesis.HealthCheck.function_scoped_fixture


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[SHARED_SERVICE, hypothesis.HealthCheck.too_slow],
)
def test_every_operation_answers_within_its_documented_contract(
    case: Case[Any], base_url: str
) -> None:
    excluded: list[Check] = [schemathesis.checks.not_a_server_error]
    if (case.method.upper(), case.path) in KEY_BOUND:
        excluded.append(schemathesis.checks.positive_data_acceptance)
    case.call_and_validate(
        base_url=base_url, headers=CREDENTIALS, excluded_checks=excluded, timeout=10
    )
