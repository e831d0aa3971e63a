"""Stock levels, read from the upstream inventory service."""
