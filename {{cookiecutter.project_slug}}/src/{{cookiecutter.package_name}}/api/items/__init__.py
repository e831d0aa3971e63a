"""Items with tags: the example of a domain backed by PostgreSQL."""
