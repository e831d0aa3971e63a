"""Bare FastAPI with all its defaults: what the service's `/health/live` is measured against.

A module-level app on purpose: this is the smallest FastAPI program there is, and
`uvicorn bare_fastapi:app` runs it with the same flags as the service.
"""

from fastapi import FastAPI

app = FastAPI()


@app.get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}
