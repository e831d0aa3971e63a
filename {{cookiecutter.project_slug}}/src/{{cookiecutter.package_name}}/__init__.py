"""The service: `main.create_app` builds the app; the description lives in pyproject.toml."""
