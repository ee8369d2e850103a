"""Live status: one LISTENing connection per process fans real pg_notify messages out to the streams of
the street they name; it listens again after its connection is cut; a stream coalesces bursts, keeps
itself alive, and ends."""

from __future__ import annotations

import asyncio

import pytest

from streetshare import db
from streetshare.status import live
from streetshare.status.service import CHANNEL


async def _notify(street_id: int) -> None:
    await db.execute("SELECT pg_notify($1, $2)", CHANNEL, str(street_id))


async def _woken(sub: live.Subscription, timeout: float = 3.0) -> bool:
    try:
        await asyncio.wait_for(sub.changed.wait(), timeout)
    except TimeoutError:
        return False
    sub.changed.clear()
    return True


@pytest.fixture
async def listener():
    found = live.StatusListener(pauses_s=(0.05, 0.1), check_every_s=0.5)
    await found.start()
    await asyncio.wait_for(found.connected.wait(), 10)
    yield found
    await found.stop()


async def _listening_backends() -> int:
    return await db.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = $1",
        f'LISTEN "{CHANNEL}"')


async def test_a_notification_wakes_the_streams_of_its_street_and_no_other(listener):
    async with listener.subscribe(7) as elm, listener.subscribe(7) as elm_again, listener.subscribe(8) as oak:
        await _notify(7)
        assert await _woken(elm) and await _woken(elm_again)
        assert not await _woken(oak, timeout=0.3)
        await _notify(8)
        assert await _woken(oak)


async def test_many_streams_share_the_one_listening_connection(listener):
    async with contextlib_stack(listener, range(1, 51)) as subs:
        assert listener.subscribers() == 50
        await _notify(25)
        assert await _woken(subs[24])
        assert await _listening_backends() == 1
    assert listener.subscribers() == 0


async def test_it_listens_again_after_its_connection_is_cut_and_tells_every_stream_to_look(listener):
    async with listener.subscribe(7) as elm, listener.subscribe(8) as oak:
        backend = await db.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = $1", f'LISTEN "{CHANNEL}"')
        await db.execute("SELECT pg_terminate_backend($1)", backend)
        # What was said while it was away is lost, so every stream is told to look again...
        assert await _woken(elm, timeout=10) and await _woken(oak, timeout=1)
        assert listener.connections_made == 2
        await asyncio.wait_for(listener.connected.wait(), 5)
        # ...and it hears the next change.
        await _notify(8)
        assert await _woken(oak)
        assert not await _woken(elm, timeout=0.3)
        assert await _listening_backends() == 1


async def test_it_keeps_trying_while_the_database_is_out_of_reach():
    attempts = 0

    async def connect():
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise ConnectionRefusedError("not yet")
        return await db.DB.get_new_connection()

    found = live.StatusListener(connect, pauses_s=(0.05,))
    await found.start()
    try:
        await asyncio.wait_for(found.connected.wait(), 5)
        assert attempts == 3
        async with found.subscribe(3) as sub:
            await _notify(3)
            assert await _woken(sub)
    finally:
        await found.stop()
    assert not found.running


async def test_stopping_ends_every_open_stream(listener):
    stream = live.events(listener, 7, version="v1", keepalive_s=5)
    first = await anext(stream)
    assert (first.event, first.data) == ("status", "v1")
    waiting = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0.1)
    await listener.stop()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiting, 2)


async def test_a_stream_says_its_version_then_each_change_once_per_burst_and_keeps_itself_alive(listener):
    stream = live.events(listener, 7, version="v1", keepalive_s=0.3, min_gap_s=0.5)
    first = await anext(stream)
    assert first.event == "status" and first.data == "v1" and first.retry == live.RETRY_MS
    for _ in range(20):  # a whole street answering at once
        await _notify(7)
    await asyncio.sleep(0.3)  # all delivered to the listener before the stream looks
    changed = await asyncio.wait_for(anext(stream), 3)
    assert (changed.event, changed.data) == ("status", "changed")
    # The burst was one event: the next thing is a keep-alive comment, not another change.
    following = await asyncio.wait_for(anext(stream), 3)
    assert following.comment == "keep-alive" and following.event is None
    assert b": keep-alive" in following.encode() and b"data:" not in following.encode()
    await stream.aclose()
    assert listener.subscribers(7) == 0


async def test_a_stream_ends_by_itself_after_its_maximum_age(listener):
    stream = live.events(listener, 7, version="v1", keepalive_s=0.1, max_age_s=0.35)
    seen = [message async for message in stream]
    assert seen[0].data == "v1" and all(m.comment == "keep-alive" for m in seen[1:]) and len(seen) >= 3
    assert listener.subscribers() == 0


class contextlib_stack:  # noqa: N801 (reads as the context manager it is)
    """Subscribe to several streets at once."""

    def __init__(self, listener, street_ids) -> None:
        import contextlib

        self._stack = contextlib.AsyncExitStack()
        self._listener, self._ids = listener, list(street_ids)

    async def __aenter__(self):
        return [await self._stack.enter_async_context(self._listener.subscribe(i)) for i in self._ids]

    async def __aexit__(self, *exc):
        await self._stack.aclose()


async def test_a_thousand_open_pages_of_one_street_all_hear_a_change_at_once(listener):
    import time

    async with contextlib_stack(listener, [7] * 1000) as subs:
        started = time.perf_counter()
        await _notify(7)
        await asyncio.wait_for(asyncio.gather(*(s.changed.wait() for s in subs)), 2)
        took_ms = (time.perf_counter() - started) * 1000
    print(f"1000 streams woken {took_ms:.1f} ms after the notification was sent")
    assert took_ms < 1000
