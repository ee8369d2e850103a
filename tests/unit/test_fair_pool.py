"""The fair queue's hand-over, step by step (the pool's own behaviour: tests/integration/test_pool_fairness.py)."""

from __future__ import annotations

import asyncio

from streetshare import fair_pool


def fair_queue() -> asyncio.Queue:
    return fair_pool.queue_class(asyncio.LifoQueue)(maxsize=4)


async def test_an_item_given_back_goes_to_the_longest_waiter_not_to_one_whose_turn_comes_first():
    q = fair_queue()
    waiter = asyncio.create_task(q.get())
    await asyncio.sleep(0)  # waiting
    newcomer = asyncio.create_task(q.get())  # asks next, and runs before the waiter wakes
    q.put_nowait("conn")
    assert await asyncio.wait_for(waiter, timeout=1) == "conn"
    await asyncio.sleep(0)
    assert not newcomer.done()  # behind the waiter, not ahead of it
    q.put_nowait("conn")
    assert await newcomer == "conn"


async def test_waiters_are_served_first_come_first_served():
    q = fair_queue()
    waiters = [asyncio.create_task(q.get()) for _ in range(3)]
    await asyncio.sleep(0)
    for item in ("a", "b", "c"):
        q.put_nowait(item)
    assert [await w for w in waiters] == ["a", "b", "c"]


async def test_a_waiter_cancelled_after_it_was_handed_an_item_passes_it_on():
    q = fair_queue()
    gives_up, patient = asyncio.create_task(q.get()), asyncio.create_task(q.get())
    await asyncio.sleep(0)
    q.put_nowait("conn")  # handed to the first waiter...
    gives_up.cancel()  # ...which gives up before it runs
    assert await asyncio.wait_for(patient, timeout=1) == "conn"
    assert gives_up.cancelled()


async def test_a_cancelled_waiter_leaves_the_line_and_free_items_are_taken_at_once():
    q = fair_queue()
    gone = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    gone.cancel()
    await asyncio.sleep(0)
    q.put_nowait("conn")  # nobody waits: it stays free
    assert q.qsize() == 1
    assert await asyncio.wait_for(q.get(), timeout=1) == "conn"
