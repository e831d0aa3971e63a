"""Liveness and readiness probes, outside the versioned API."""
