"""The pool hands connections out in the order they were asked for (streetshare.fair_pool).

With more requests in flight than connections, asyncpg's own queue let a request that asked late
take a connection from under one that had been waiting, again and again: the demo's home page
under load had requests waiting 15 s for a connection while the median waited none."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections.abc import AsyncIterator

from streetshare import db
from streetshare.piccolo_conf import DB


@contextlib.asynccontextmanager
async def app_pool(size: int) -> AsyncIterator[None]:
    """A pool of `size` opened as the app opens its pool (db.open_pool), in place of the tests' one."""
    saved, DB.pool = DB.pool, None
    try:
        await db.open_pool(size, size)  # every connection open: none is served late by connecting
        yield
    finally:
        await db.close_pool()
        DB.pool = saved


async def overtakes_under_contention(*, requests: int, rounds: int) -> list[int]:
    """Many tasks take a connection, query, give it back, in turn; for each acquisition, how many
    callers that asked after it were served before it."""
    tickets = itertools.count()
    served: list[int] = []
    overtaken: list[int] = []
    rng = random.Random(21)

    async def request() -> None:
        for _ in range(rounds):
            await asyncio.sleep(rng.random() / 1000)  # arrive at slightly different moments
            ticket = next(tickets)
            conn = await DB.pool.acquire()
            try:
                overtaken.append(sum(1 for t in served if t > ticket))
                served.append(ticket)
                await conn.fetchval("SELECT 1")
            finally:
                await DB.pool.release(conn)

    await asyncio.gather(*(request() for _ in range(requests)))
    return overtaken


async def test_a_request_waiting_for_a_connection_is_served_before_later_ones():
    pool_size = 2
    async with app_pool(pool_size):
        overtaken = await overtakes_under_contention(requests=16, rounds=25)
    assert len(overtaken) == 16 * 25
    # Connections handed out at the same moment may start in either order (a waiter handed one
    # has not run yet when a newcomer takes another, free one): at most pool_size - 1 overtakes.
    # asyncpg's own queue: ~235 of 400 acquisitions overtaken, some 20 to 80 times.
    worst = max(overtaken)
    assert worst <= pool_size - 1, f"{sum(o > 0 for o in overtaken)} acquisitions overtaken, up to {worst} times"


async def test_a_waiter_that_times_out_leaves_the_line():
    async with app_pool(1):
        held = await DB.pool.acquire()
        try:
            await DB.pool.acquire(timeout=0.05)
        except TimeoutError:
            pass
        else:
            raise AssertionError("the only connection was taken")
        await DB.pool.release(held)
        conn = await asyncio.wait_for(DB.pool.acquire(), timeout=5)  # not handed to the one that left
        await DB.pool.release(conn)
