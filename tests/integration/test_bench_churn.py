"""The benchmark's writer (bench/run.py `churn`): while the feed is loaded, it edits the sampled
streets' newest offers at a steady rate, and each edit makes the feed cache's pages for that
street old, as a neighbour's edit does."""

from __future__ import annotations

import asyncio

from support.cast import OAK_ROAD, insert_offer, make_street, place_resident, quick_resident

from streetshare import db
from streetshare.feed import cache
from streetshare.feed.queries import feed_page

from bench.run import churn


async def versions(*streets: int) -> list[int]:
    return [await db.fetchval("SELECT version FROM feed_version WHERE street = $1", s) for s in streets]


async def test_churn_edits_each_offer_in_turn_and_raises_its_streets_change_number(database):
    alice, dave = await quick_resident("Alice"), await quick_resident("Dave")
    elm, oak = await make_street("Elm Street"), await make_street("Oak Road", OAK_ROAD)
    offers = [await insert_offer(alice, elm), await insert_offer(dave, oak)]
    before = await versions(elm.id, oak.id)
    stop = asyncio.Event()
    writer = asyncio.create_task(churn(database, offers, 40.0, stop))
    await asyncio.sleep(0.5)
    stop.set()
    written = await writer

    # A steady rate: about 20 commits in half a second at 40 a second, never a burst beyond it.
    assert 4 <= written <= 22
    after = await versions(elm.id, oak.id)
    assert all(a > b for a, b in zip(after, before))
    assert await db.fetchval("SELECT count(*) FROM offer WHERE id = ANY($1) AND updated_at > created_at", offers) == 2


async def test_a_page_kept_before_the_churn_is_read_again_after_it(database):
    cache.PAGES.clear()
    alice = await quick_resident("Alice")
    elm = await make_street("Elm Street")
    await place_resident(alice, elm)
    offer = await insert_offer(alice, elm, title="Ladder to lend")
    await feed_page(alice.id)
    await feed_page(alice.id)
    hits, misses = cache.PAGES.hits, cache.PAGES.misses
    assert hits == 1

    stop = asyncio.Event()
    writer = asyncio.create_task(churn(database, [offer], 20.0, stop))
    await asyncio.sleep(0.1)
    stop.set()
    assert await writer >= 1

    page = await feed_page(alice.id)
    assert [item.id for item in page.items] == [offer]
    assert (cache.PAGES.hits, cache.PAGES.misses) == (hits, misses + 1)
