"""The connection pool hands connections out in the order they were asked for.

asyncpg's pool keeps its free connections in an asyncio queue. When a connection is given back,
that queue wakes the longest waiter, but the connection stays in the queue until the waiter runs;
a request that asks in the meantime (under load, the event loop has many ready callbacks before
the waiter's turn) takes it, and the waiter, finding the queue empty, goes to the END of the line.
With more requests in flight than connections, the same request can lose that race again and
again: the demo's home page under 32 connections (pool of 10) had requests waiting 15 s for a
connection while the median waited none (bench/findings.md, "Fifth pass"; asyncpg issue 1247).

install(pool) makes the hand-over direct: a connection given back goes to the longest waiter, and a
newcomer waits behind everyone who was waiting before it. Waiting then costs each request about the
same, bounded by the requests ahead of it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import asyncpg


class FairHandOver:
    """Mixed into the pool's own queue class: get() in arrival order, put_nowait() hands over."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: deque[asyncio.Future] = deque()

    async def get(self) -> Any:
        if not self._waiting and not self.empty():  # nobody waits ahead of this caller
            return self.get_nowait()
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            return await waiter
        except BaseException:  # cancelled (a timeout, a client gone)
            if waiter.done() and not waiter.cancelled():
                self.put_nowait(waiter.result())  # handed a connection it will not use: the next in line
            else:
                try:
                    self._waiting.remove(waiter)
                except ValueError:
                    pass
            raise

    def put_nowait(self, item: Any) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(item)
                return
        super().put_nowait(item)  # type: ignore[misc]


def queue_class(base: type[asyncio.Queue]) -> type[asyncio.Queue]:
    """`base` (an asyncio queue class) with the fair hand-over."""
    return type(f"Fair{base.__name__}", (FairHandOver, base), {})


def install(pool: asyncpg.Pool) -> None:
    """Give `pool` a queue that hands connections over in order (once; before any is taken is best,
    but the free connections are carried over whenever it is called)."""
    old = pool._queue  # noqa: SLF001 (asyncpg has no public way to choose its queue)
    if isinstance(old, FairHandOver):
        return
    fair = queue_class(type(old))(maxsize=old.maxsize)
    free = []
    while not old.empty():
        free.append(old.get_nowait())
    for holder in reversed(free):  # same order as before (the queue is last in, first out)
        fair.put_nowait(holder)
    pool._queue = fair  # noqa: SLF001
