{%- set rate_limited = cookiecutter.rate_limit == "on" or (cookiecutter.rate_limit == "auto" and cookiecutter.cache == "redis") -%}
"""The app factory: `uvicorn {{ cookiecutter.package_name }}.main:create_app --factory`."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from . import __doc__ as description
from .api import include_routers
from .docs import install_docs
from .errors import exception_handlers
from .lifespan import make_lifespan
from .log import configure_logging
{%- if cookiecutter.use_metrics %}
from .metrics import install_metrics
{%- endif %}
from .middleware import RequestContextMiddleware
from .openapi import install_openapi, operation_id
{%- if rate_limited %}
from .rate_limit import RateLimitMiddleware, document_write_limits
{%- endif %}
from .security import install_security
from .settings import Settings

# FastAPI's built-in OpenTelemetry instrumentation costs time on every request; the
# service already has its own metrics and logs, so it is opt-in (APP_OPENTELEMETRY).
_TELEMETRY_OFF: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; nothing is built at import time."""
    settings = settings or Settings()
    configure_logging(level=settings.log_level, json=settings.renders_json_logs)
    app = FastAPI(
        title=settings.service_name,
        version="{{ cookiecutter.version }}",
        description=description or "",
        lifespan=make_lifespan(settings),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        generate_unique_id_function=operation_id,
        exception_handlers=exception_handlers(),
        telemetry=None if settings.opentelemetry else _TELEMETRY_OFF,
    )
{%- if rate_limited %}
    install_openapi(app, amendments=[document_write_limits] if settings.rate_limit_enabled else [])
{%- else %}
    install_openapi(app)
{%- endif %}
    include_routers(app)
    install_docs(app, settings)
{%- if rate_limited %}
    if settings.rate_limit_enabled:
        app.add_middleware(RateLimitMiddleware)
{%- endif %}
    install_security(app, settings)
{%- if cookiecutter.use_metrics %}
    app.add_middleware(RequestContextMiddleware, observe=install_metrics(app).observe)
{%- else %}
    app.add_middleware(RequestContextMiddleware)
{%- endif %}
    return app
