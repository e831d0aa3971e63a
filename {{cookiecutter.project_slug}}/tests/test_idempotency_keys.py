"""The key store the app uses: one claim wins, answers are kept, claims can be given up."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.idempotency.keys import KeyStore, StoredResponse

from .serving import serving

ANSWER = StoredResponse(202, b'{"id": 1}', "/api/v1/orders/1")


@pytest.fixture
async def keys(app: FastAPI) -> AsyncIterator[KeyStore]:
    async with serving(app) as (_, state):
        store: KeyStore = state["idempotency_keys"]
        yield store


def new_key() -> str:
    return f"test:{uuid.uuid4()}"


async def test_of_concurrent_claims_exactly_one_wins(keys: KeyStore) -> None:
    key = new_key()

    holders: list[Any] = await asyncio.gather(*(keys.claim(key, "same") for _ in range(20)))

    assert holders.count(None) == 1
    assert all(h.response is None and h.fingerprint == "same" for h in holders if h is not None)


async def test_a_completed_key_gives_its_answer_back(keys: KeyStore) -> None:
    key = new_key()
    assert await keys.claim(key, "request") is None
    await keys.complete(key, "request", ANSWER)

    holder = await keys.claim(key, "request")

    assert holder is not None
    assert holder.response == ANSWER
    assert holder.seconds_left > 60


async def test_a_released_claim_can_be_claimed_again(keys: KeyStore) -> None:
    key = new_key()
    assert await keys.claim(key, "request") is None
    await keys.release(key)

    assert await keys.claim(key, "request") is None
