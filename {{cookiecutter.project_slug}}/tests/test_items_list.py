"""The item list: paging, filters, and a fixed number of queries whatever the page size."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.db import Database, Pooled
from {{ cookiecutter.package_name }}.deps import get_database
from {{ cookiecutter.package_name }}.settings import Settings

ITEMS = "/api/v1/items"


async def _seed(client: httpx.AsyncClient, count: int) -> None:
    for number in range(count):
        tags = ["even" if number % 2 == 0 else "odd", f"n{number}"]
        response = await client.post(ITEMS, json={"name": f"Item {number:03}", "tags": tags})
        assert response.status_code == 201


async def test_the_list_pages_through_every_item_in_order(client: httpx.AsyncClient) -> None:
    await _seed(client, 5)

    first = (await client.get(ITEMS, params={"limit": 2})).json()
    rest = (await client.get(ITEMS, params={"limit": 2, "offset": 2})).json()

    assert first["total"] == 5
    assert [item["name"] for item in first["items"]] == ["Item 000", "Item 001"]
    assert [item["name"] for item in rest["items"]] == ["Item 002", "Item 003"]
    assert first["items"][0]["tags"] == ["even", "n0"]


async def test_filters_by_tag_and_by_name(client: httpx.AsyncClient) -> None:
    await _seed(client, 6)

    odd = (await client.get(ITEMS, params={"tag": "odd"})).json()
    named = (await client.get(ITEMS, params={"q": "item 00"})).json()

    assert odd["total"] == 3
    assert {tuple(item["tags"]) for item in odd["items"]} == {
        ("n1", "odd"),
        ("n3", "odd"),
        ("n5", "odd"),
    }
    assert named["total"] == 6


async def test_name_filter_wildcards_match_literally(client: httpx.AsyncClient) -> None:
    await client.post(ITEMS, json={"name": "100% cotton"})
    await client.post(ITEMS, json={"name": "1000 cotton"})

    response = await client.get(ITEMS, params={"q": "0%"})

    assert [item["name"] for item in response.json()["items"]] == ["100% cotton"]


async def test_an_offset_past_the_end_is_an_empty_page_with_the_total(
    client: httpx.AsyncClient,
) -> None:
    await _seed(client, 2)

    page = (await client.get(ITEMS, params={"offset": 50})).json()

    assert page == {"items": [], "total": 2, "limit": 20, "offset": 50}


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"tag": "Bad Tag"}, {"sort": "x"}]
)
async def test_bad_list_parameters_are_a_422_problem(
    client: httpx.AsyncClient, params: dict[str, str | int]
) -> None:
    response = await client.get(ITEMS, params=params)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


class QueryCounter:
    """Counts the statements each request sends, on the real pool's connections."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def __call__(self, record: asyncpg.connection.LoggedQuery) -> None:
        if "RESET ALL" not in record.query:  # asyncpg's own session reset, not the service's
            self.queries.append(record.query)


@pytest.fixture
async def query_counter(app: FastAPI, settings: Settings) -> AsyncIterator[QueryCounter]:
    """The app's queries go through a pool of the test's own, whose connections report them."""
    counter = QueryCounter()

    async def report_queries(conn: Pooled) -> None:
        conn.add_query_logger(counter)  # a set: once per connection, however often lent

    pool = await asyncpg.create_pool(settings.database_url.get_secret_value(), setup=report_queries)
    database = Database(pool, acquire_timeout=5.0, statement_timeout=10.0)

    async def counting_database() -> Database:
        return database

    app.dependency_overrides[get_database] = counting_database
    try:
        yield counter
    finally:
        await pool.close()


@pytest.mark.parametrize("page_size", [1, 10, 40])
async def test_listing_costs_the_same_queries_whatever_the_page_size(
    client: httpx.AsyncClient, query_counter: QueryCounter, page_size: int
) -> None:
    await _seed(client, 40)
    query_counter.queries.clear()

    response = await client.get(ITEMS, params={"limit": page_size})

    assert len(response.json()["items"]) == page_size
    assert len(query_counter.queries) == 2  # the page with its tags, and the total
