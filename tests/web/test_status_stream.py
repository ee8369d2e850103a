"""The live status stream, against the real app served over HTTP (uvicorn, in this test's event loop, with
the app's own lifespan starting its listener): an open page hears when a neighbour answers, holds no
pooled database connection while it waits, and is let go when the browser goes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from support.cast import ELM_STREET, api_token, make_street, place_resident, sign_in
from support.smtp import free_port

from streetshare import db
from streetshare.app import create_app


@contextlib.asynccontextmanager
async def served(settings) -> AsyncIterator[tuple[str, object]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(settings.with_(base_url=base), manage_pool=False)  # the tests' pool is already open
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on",
                                          timeout_graceful_shutdown=2))
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started or task.done():
            break
        await asyncio.sleep(0.02)
    assert server.started, "the app did not start"
    try:
        yield base, app
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 20)


async def next_event(lines: AsyncIterator[str], timeout: float = 5.0) -> dict[str, str]:
    """The next event's fields (comments skipped)."""
    fields: dict[str, str] = {}

    async def read() -> dict[str, str]:
        async for line in lines:
            if line == "":
                if fields:
                    return fields
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(": ")
            fields[name] = value
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(read(), timeout)


def pool_connections_in_use() -> int:
    return db.DB.pool.get_size() - db.DB.pool.get_idle_size()


@pytest.fixture
async def elm(carol, alice, bob):
    street = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await place_resident(alice, street, home=(street.lat + 0.0002, street.lng))
    await place_resident(bob, street, home=(street.lat + 0.0004, street.lng))
    return street


async def test_an_open_status_page_hears_when_a_neighbour_answers(settings, elm, alice, bob):
    async with served(settings) as (base, app), httpx.AsyncClient(base_url=base, timeout=10) as browser, \
            httpx.AsyncClient(base_url=base, timeout=10) as phone:
        listener = app.state.status_listener
        await asyncio.wait_for(listener.connected.wait(), 10)
        await sign_in(browser, alice)
        page = await browser.get(f"/streets/{elm.id}/status")
        assert page.status_code == 200
        async with browser.stream("GET", f"/streets/{elm.id}/status/events") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            assert stream.headers["cache-control"] == "no-store"
            assert stream.headers["x-accel-buffering"] == "no"
            lines = stream.aiter_lines()
            first = await next_event(lines)
            assert first["event"] == "status" and first["data"] in page.text  # the version the page has
            assert listener.subscribers(elm.id) == 1
            # Waiting, the stream holds no pooled connection (only the listener's own, outside the pool).
            await asyncio.sleep(0.2)
            assert pool_connections_in_use() == 0

            answered = await phone.post(f"/api/v1/streets/{elm.id}/status/power", json={"affected": True},
                                        headers=await api_token(phone, bob))
            assert answered.status_code == 200
            changed = await next_event(lines)
            assert (changed["event"], changed["data"]) == ("status", "changed")
        # The browser went: its stream is let go.
        for _ in range(100):
            if listener.subscribers(elm.id) == 0:
                break
            await asyncio.sleep(0.05)
        assert listener.subscribers(elm.id) == 0


async def test_the_app_starts_its_one_listener_and_stops_it(settings, elm):
    async with served(settings) as (_, app):
        listener = app.state.status_listener
        await asyncio.wait_for(listener.connected.wait(), 10)
        assert listener.running
    assert not listener.running
