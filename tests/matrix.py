"""The curated option matrix: every value once, the pairs that interact, all on, all off.

Not a Cartesian product (2*3*2*2*2*3*3*3*2*2 = 5184 bakes): each combo is here for a reason
given in its id. `test_hooks.py` checks that the matrix still covers every value of
every option and every cache/database pair when cookiecutter.json grows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pytest


@dataclass(frozen=True)
class Combo:
    """One bake: a readable id and the answers that differ from the defaults."""

    id: str
    context: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "context", MappingProxyType(dict(self.context)))


ALL_OFF = Combo(
    "all-off",
    {
        "database": "none",
        "cache": "none",
        "use_metrics": False,
        "use_http_client": False,
        "worker": "none",
        "rate_limit": "off",
        "ci": "none",
        "deploy": "none",
        "license": "Proprietary",
    },
)

COMBOS: tuple[Combo, ...] = (
    Combo("defaults"),
    # Every feature on, spelled out, with a package name that differs from the slug so
    # any hard-coded package name in the template shows up.
    Combo(
        "all-on",
        {
            "project_name": "Billing API",
            "package_name": "billing",
            "database": "postgres",
            "cache": "redis",
            "use_metrics": True,
            "use_http_client": True,
            "worker": "arq",
            "rate_limit": "on",
            "ci": "github",
            "deploy": "kubernetes",
            "license": "Apache-2.0",
        },
    ),
    ALL_OFF,
    # Cache x database: postgres+redis is the defaults; the other five pairs.
    # Rate limits on without Redis: counted in each process's memory.
    Combo(
        "postgres+memory+rate-limit",
        {"database": "postgres", "cache": "memory", "rate_limit": "on"},
    ),
    Combo("postgres+no-cache", {"database": "postgres", "cache": "none"}),
    Combo("no-db+redis", {"database": "none", "cache": "redis"}),
    Combo("no-db+memory", {"database": "none", "cache": "memory"}),
    Combo("no-db+no-cache", {"database": "none", "cache": "none"}),
    Combo("metrics-off+postgres", {"use_metrics": False, "database": "postgres"}),
    Combo("http-client-off", {"use_http_client": False}),
    Combo(
        "http-client-only",
        {"use_http_client": True, "database": "none", "cache": "none", "use_metrics": False},
    ),
    # The worker without its neighbours: no database (keys in Redis), no Redis cache (the
    # queue's Redis still starts), neither upstream nor database (the job only records).
    Combo("worker-none", {"worker": "none"}),
    Combo(
        "worker-only",
        {"database": "none", "cache": "none", "use_http_client": False, "use_metrics": False},
    ),
    # `auto` turns rate limits on with the Redis cache (the defaults) and off without it.
    Combo("rate-limit-off", {"rate_limit": "off"}),
    Combo("rate-limit-on+no-cache", {"cache": "none", "rate_limit": "on"}),
    Combo("ci-none", {"ci": "none"}),
    Combo("deploy-none", {"deploy": "none"}),
    Combo("python-3.12", {"python_version": "3.12"}),
    Combo("python-3.13", {"python_version": "3.13"}),
)

# Bakes that also install and run their own lint, type check and tests. They keep
# the default python_version (3.11): the machines have no other interpreter uv can
# use without downloading one (UV_PYTHON_DOWNLOADS=never).
SLOW_IDS = ("defaults", "all-on", "all-off", "postgres+memory+rate-limit", "no-db+redis")
SLOW_COMBOS: tuple[Combo, ...] = tuple(combo for combo in COMBOS if combo.id in SLOW_IDS)


def params(combos: tuple[Combo, ...], group_prefix: str) -> list[object]:
    """Parametrize with readable ids; each combo is its own xdist group.

    Tests of one combo then run on one worker and share one bake, while different
    combos spread over the workers.
    """
    return [
        pytest.param(combo, id=combo.id, marks=pytest.mark.xdist_group(f"{group_prefix}{combo.id}"))
        for combo in combos
    ]
