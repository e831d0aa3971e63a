"""Caching: one backend per app, opened by the lifespan; one way to cache a read (`reads.py`)."""

from .backend import CacheBackend, CacheError
{%- if cookiecutter.cache == "redis" %}
from .redis import open_redis_cache as open_cache
{%- else %}
from .memory import open_memory_cache as open_cache
{%- endif %}

__all__ = ["CacheBackend", "CacheError", "open_cache"]
