"""Digests of submitted content: the example of CPU-bound work kept off the event loop."""
