"""What the probes answer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class CheckResult(BaseModel):
    """The outcome of probing one dependency."""

    status: Literal["ok", "failed"]
    required: bool = Field(description="Whether a failure makes the service unready.")
    duration_ms: float
    error: str | None = Field(default=None, description="Why the probe failed.")


class Readiness(BaseModel):
    """`unavailable` (503) when a required dependency failed; `degraded` if an optional one did."""

    status: Literal["ok", "degraded", "unavailable"]
    checks: dict[str, CheckResult]
