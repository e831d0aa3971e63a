"""Latency and fairness of the database pool while slow queries hold every connection.

Run it inside a baked project with PostgreSQL (it imports the project's `db` module and
starts the project's throwaway server):

    cd <baked project> && uv run python <template>/bench/pool_saturation.py orders_service

Holders keep every pooled connection busy with short `pg_sleep`s, so connections free up
one at a time; many clients meanwhile ask for a connection within the acquire timeout.
Reported: p50/p99/max of the clients' calls, how many ended in the 503 (`busy`), how many
of those were overtaken (a client that arrived later got a connection while this one was
still waiting, then this one gave up), and how many slow queries the holders completed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import statistics
import sys
import time
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path.cwd() / "scripts"))


@dataclass(frozen=True)
class Call:
    arrived: float
    acquired: float | None  # None: it gave up (the 503)
    ended: float


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package", help="the baked project's import name")
    parser.add_argument("--pool", type=int, default=10, help="pool size (connections)")
    parser.add_argument("--holders", type=int, default=10, help="tasks running slow queries")
    parser.add_argument("--hold-ms", type=float, default=20.0, help="each slow query's length")
    parser.add_argument("--clients", type=int, default=100, help="concurrent quick clients")
    parser.add_argument("--acquire-timeout", type=float, default=0.5)
    parser.add_argument("--seconds", type=float, default=10.0)
    return parser.parse_args()


async def hold(database: Any, hold_seconds: float, until: float, held: list[float]) -> None:
    while time.perf_counter() < until:
        try:
            await database.execute("SELECT pg_sleep($1)", hold_seconds)
        except Exception:  # noqa: S112 - the holder's own 503s are part of the load
            continue
        held.append(hold_seconds)


async def client(database: Any, busy: type[Exception], until: float, calls: list[Call]) -> None:
    while time.perf_counter() < until:
        arrived = time.perf_counter()
        acquired = None
        try:
            async with database.connection() as conn:
                acquired = time.perf_counter()
                await conn.fetchval("SELECT 1")
        except busy:
            await asyncio.sleep(0.01)  # a client's back-off after a 503
        calls.append(Call(arrived, acquired, time.perf_counter()))


def overtaken(calls: list[Call]) -> int:
    """Calls that gave up although a later arrival got a connection while they waited."""
    served = sorted((call.arrived, call.acquired) for call in calls if call.acquired is not None)
    arrivals = [arrived for arrived, _ in served]
    count = 0
    for call in (call for call in calls if call.acquired is None):
        later = served[bisect_right(arrivals, call.arrived) : bisect_left(arrivals, call.ended)]
        count += any(acquired < call.ended for _, acquired in later)
    return count


def report(calls: list[Call], held: list[float], args: argparse.Namespace) -> dict[str, Any]:
    latencies = sorted((call.ended - call.arrived) * 1000 for call in calls)
    gave_up = [call for call in calls if call.acquired is None]
    return {
        "calls": len(calls),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "max_ms": round(latencies[-1], 1),
        "busy_503": len(gave_up),
        "overtaken_503": overtaken(calls),
        "slow_queries": len(held),
        "settings": vars(args),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    db = importlib.import_module(f"{args.package}.db")
    errors = importlib.import_module(f"{args.package}.errors")
    settings_module = importlib.import_module(f"{args.package}.settings")
    from postgres_server import PostgresServer  # the project's scripts/, on sys.path

    with PostgresServer() as server:
        settings = settings_module.Settings(
            _env_file=None,
            database_url=server.url,
            db_connect_jitter_seconds=0,
            db_pool_min_size=args.pool,
            db_pool_max_size=args.pool,
            db_pool_acquire_timeout_seconds=args.acquire_timeout,
        )
        async with db.open_database(settings) as database:
            until = time.perf_counter() + args.seconds
            calls: list[Call] = []
            held: list[float] = []
            busy = errors.ServiceUnavailableError
            await asyncio.gather(
                *(hold(database, args.hold_ms / 1000, until, held) for _ in range(args.holders)),
                *(client(database, busy, until, calls) for _ in range(args.clients)),
            )
    return report(calls, held, args)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(parse())), indent=2))
