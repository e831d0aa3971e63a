"""Orders: accepted at once (202), fulfilled by the worker, polled until done."""
