"""The feed cache (feed/cache.py): a kept page is reused only while nothing it shows has changed,
and what differs between viewers (blocks, distances, the time) is applied per request.

The reference for every comparison is the same page read inside a transaction, where the cache
is never used: the page query as it ran before the cache.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from support.cast import LEEDS, OAK_ROAD, block, insert_ask, insert_offer, make_street, place_resident, quick_resident

from streetshare import clock, db
from streetshare.feed import cache
from streetshare.feed.queries import Cursor, Filters, feed_page, feed_viewer

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def empty_cache():
    cache.PAGES.clear()
    yield
    cache.PAGES.clear()


@pytest.fixture
async def streets(alice, bob, carol, dave):
    """alice and bob on Elm Street, carol on Oak Road (a neighbour), dave in Leeds (far away)."""
    elm = await make_street("Elm Street")
    oak = await make_street("Oak Road", OAK_ROAD)
    leeds = await make_street("Leeds Lane", LEEDS)
    await place_resident(alice, elm)
    await place_resident(bob, elm, home=(elm.lat + 0.0040, elm.lng))
    await place_resident(carol, oak)
    await place_resident(dave, leeds)
    return elm, oak, leeds


async def seen(person, filters: Filters | None = None, cursor: Cursor | None = None, *, limit: int = 20):
    return await feed_page(person.id, filters or Filters(), cursor, limit=limit)


async def reference(person, filters: Filters | None = None, cursor: Cursor | None = None, *, limit: int = 20):
    async with db.transaction():  # never through the cache
        return await feed_page(person.id, filters or Filters(), cursor, limit=limit)


async def test_residents_of_one_scope_share_a_kept_page_with_their_own_distances(streets, alice, bob, carol):
    elm, oak, _ = streets
    with clock.frozen_at(T0):
        await insert_offer(carol, oak, title="Carol's drill")
        await insert_offer(bob, elm, title="Bob's ladder")
        await insert_offer(alice, elm, title="Alice's cot")
    first = await seen(alice)
    again = await seen(bob)
    assert (cache.PAGES.misses, cache.PAGES.hits) == (1, 1)
    assert first == await reference(alice) and again == await reference(bob)
    assert [i.title for i in first.items] == ["Alice's cot", "Bob's ladder", "Carol's drill"]
    carols_drill = {p: next(i for i in page.items if i.owner_id == carol.id).distance_m
                    for p, page in (("alice", first), ("bob", again))}
    assert carols_drill["alice"] != carols_drill["bob"]  # each viewer's own distance


async def test_distances_are_kept_per_viewer_until_their_home_moves(streets, alice, bob):
    elm, _, _ = streets
    await insert_offer(bob, elm, title="Bob's ladder")
    first = await seen(alice)
    assert (await feed_viewer(alice.id)).owners == ()  # kept: the viewer query asks for none
    await db.execute("UPDATE resident SET home_lat = home_lat - 0.02 WHERE id = $1", alice.id)
    moved = await seen(alice)
    assert moved == await reference(alice) and moved.items[0].distance_m > first.items[0].distance_m


async def test_a_viewer_whose_page_changed_gets_distances_in_the_viewer_query(streets, alice, bob):
    elm, _, _ = streets
    erin = await quick_resident("Erin")
    await place_resident(erin, elm)
    offer = await insert_offer(bob, elm, title="Bob's ladder")
    await seen(alice)
    await db.execute("UPDATE offer SET title = 'Long ladder' WHERE id = $1", offer)
    await seen(erin)  # reads the new page of the same streets
    viewer = await feed_viewer(alice.id)
    assert viewer.owners == (bob.id,) and len(viewer.distances) == 1
    assert await feed_page(alice.id, viewer=viewer) == await reference(alice)


CHANGES = {
    "a new offer": "INSERT INTO offer (owner, street, kind, title, category, status, created_at, updated_at) "
                   "SELECT {carol}, {oak}, 'give', 'Pram', 'children', 'active', now(), now()",
    "a new title": "UPDATE offer SET title = 'Long ladder' WHERE title = 'Bob''s ladder'",
    "a withdrawn offer": "UPDATE offer SET status = 'withdrawn' WHERE title = 'Bob''s ladder'",
    "a hidden ask": "UPDATE ask SET hidden_at = now() WHERE title = 'Carol needs a lift'",
    "a deleted ask": "DELETE FROM ask WHERE title = 'Carol needs a lift'",
    "an offer moved away": "UPDATE offer SET street = {leeds} WHERE title = 'Bob''s ladder'",
    "a neighbour no longer shown": "UPDATE ask SET neighbours_may_see = false WHERE title = 'Carol needs a lift'",
    "a photo": "INSERT INTO photo (owner, offer, sha256, width, height) "
               "SELECT {bob}, id, repeat('a', 64), 800, 600 FROM offer WHERE title = 'Bob''s ladder'",
    "an owner renamed": "UPDATE resident SET display_name = 'Robert' WHERE id = {bob}",
    "an owner suspended": "UPDATE resident SET is_active = false WHERE id = {carol}",
    "an owner moving house": "UPDATE resident SET home_lat = home_lat + 0.01 WHERE id = {carol}",
    "a street renamed": "UPDATE street SET name = 'Oak Avenue' WHERE id = {oak}",
}


@pytest.mark.parametrize("change", list(CHANGES))
async def test_every_change_a_card_shows_is_seen_by_the_next_request(streets, alice, bob, carol, change):
    elm, oak, leeds = streets
    with clock.frozen_at(T0):
        await insert_offer(bob, elm, title="Bob's ladder")
        await insert_ask(carol, oak, title="Carol needs a lift")
    before = await seen(alice)
    assert before == await reference(alice) and len(before.items) == 2
    await db.execute(CHANGES[change].format(alice=alice.id, bob=bob.id, carol=carol.id, oak=oak.id, leeds=leeds.id))
    after = await seen(alice)
    assert after == await reference(alice)
    assert after != before


async def test_a_change_number_moves_when_the_change_commits(streets, bob):
    elm, _, _ = streets
    offer = await insert_offer(bob, elm)
    version = "SELECT version FROM feed_version WHERE street = $1"
    was = await db.fetchval(version, elm.id)
    async with db.transaction():
        await db.execute("UPDATE offer SET title = 'Step ladder' WHERE id = $1", offer)
        async with db.DB.pool.acquire() as other:
            assert await other.fetchval(version, elm.id) == was  # not yet: nobody can see the change
    assert await db.fetchval(version, elm.id) == was + 1
    await db.execute("UPDATE offer SET title = 'Step ladder' WHERE id = $1", offer)  # changes nothing
    assert await db.fetchval(version, elm.id) == was + 1


async def test_a_transaction_raises_a_streets_number_once_however_many_rows_it_writes(streets, bob):
    elm, oak, _ = streets
    version = "SELECT version FROM feed_version WHERE street = $1"
    await insert_offer(bob, elm)
    was = await db.fetchval(version, elm.id)
    async with db.transaction():
        await db.execute("INSERT INTO offer (owner, street, kind, title, category, created_at, updated_at) "
                         "SELECT $1, $2, 'give', 'Jar ' || g, 'home', now(), now() FROM generate_series(1, 2000) g",
                         bob.id, elm.id)
        await db.execute("UPDATE offer SET title = title || '!' WHERE street = $1", elm.id)
    assert await db.fetchval(version, elm.id) == was + 1
    await db.execute("UPDATE offer SET street = $2 WHERE street = $1", elm.id, oak.id)  # all of them move
    assert await db.fetchval(version, elm.id) == was + 2


async def test_change_numbers_start_somewhere_new_each_time(database):
    starts = {await db.fetchval("SELECT feed_version_start()") for _ in range(5)}
    assert len(starts) == 5 and all(s % 2**32 == 1 for s in starts)


async def test_blocks_are_applied_per_viewer_to_the_kept_rows(streets, alice, bob, carol):
    elm, oak, _ = streets
    await insert_offer(bob, elm, title="Bob's ladder")
    await insert_offer(carol, oak, title="Carol's drill")
    await block(alice, carol)
    assert [i.title for i in (await seen(bob)).items] == ["Carol's drill", "Bob's ladder"]
    assert [i.title for i in (await seen(alice)).items] == ["Bob's ladder"]
    assert cache.PAGES.hits == 1
    await block(carol, bob)  # blocked by someone: the same
    assert [i.title for i in (await seen(bob)).items] == ["Bob's ladder"]
    assert cache.PAGES.hits == 2


async def test_when_blocks_leave_too_few_kept_rows_the_database_is_asked(streets, alice, bob, carol):
    elm, oak, _ = streets
    with clock.frozen_at(T0):
        for n in range(3):
            await insert_offer(carol, oak, title=f"Carol's offer {n}")
    for n in range(40):
        with clock.frozen_at(T0 + timedelta(minutes=n + 1)):
            await insert_offer(bob, elm, title=f"Bob's offer {n}")
    await seen(carol)  # keeps the newest 31: all bob's
    await block(alice, bob)
    page = await seen(alice, limit=2)
    assert page == await reference(alice, limit=2)
    assert [i.title for i in page.items] == ["Carol's offer 2", "Carol's offer 1"] and page.next is not None
    page = await seen(alice)
    assert [i.title for i in page.items] == ["Carol's offer 2", "Carol's offer 1", "Carol's offer 0"]


async def test_an_ask_that_expires_goes_without_a_change(streets, alice, bob):
    elm, _, _ = streets
    with clock.frozen_at(T0):
        await insert_offer(bob, elm, title="Bob's ladder")
        ask = await insert_ask(bob, elm, title="Bob needs a van")
        await db.execute("UPDATE ask SET expires_at = $2 WHERE id = $1", ask, T0 + timedelta(hours=1))
        assert len((await seen(alice)).items) == 2
    with clock.frozen_at(T0 + timedelta(hours=2)):
        page = await seen(alice)
        assert [i.title for i in page.items] == ["Bob's ladder"] and page == await reference(alice)
    assert cache.PAGES.hits == 1
    with clock.frozen_at(T0):  # a clock earlier than the kept rows: read again
        assert len((await seen(alice)).items) == 2


async def test_pages_after_a_cursor_and_filtered_pages_are_kept_apart(streets, alice, bob):
    elm, _, _ = streets
    for n in range(5):
        with clock.frozen_at(T0 + timedelta(minutes=n)):
            await insert_offer(bob, elm, title=f"Bob's offer {n}", kind="give" if n % 2 else "lend")
    first = await seen(alice, limit=2)
    second = await seen(alice, cursor=first.next, limit=2)
    gifts = await seen(alice, Filters.parse(kind="give"), limit=2)
    assert [i.title for i in first.items + second.items] == [f"Bob's offer {n}" for n in (4, 3, 2, 1)]
    assert [i.title for i in gifts.items] == ["Bob's offer 3", "Bob's offer 1"]
    assert second == await reference(alice, cursor=first.next, limit=2)


async def test_many_changes_and_viewers_always_match_the_database(streets, alice, bob, carol, dave):
    """Random offers, asks, withdrawals, moves, blocks and renames, read by five residents after each."""
    elm, oak, leeds = streets
    erin = await quick_resident("Erin")
    await place_resident(erin, oak, looks_at="street")
    people, places = [alice, bob, carol, dave, erin], [elm, oak, leeds]
    rng = random.Random(8)
    for step in range(60):
        who, where = rng.choice(people), rng.choice(places)
        action = rng.randrange(8)
        with clock.frozen_at(T0 + timedelta(minutes=step)):
            if action <= 2:
                await insert_offer(who, where, title=f"offer {step}", kind=rng.choice(["lend", "give", "skill"]),
                                   neighbours_may_see=rng.random() < 0.7)
            elif action == 3:
                await insert_ask(who, where, title=f"ask {step}")
            elif action == 4:
                active = [r["id"] for r in await db.fetch("SELECT id FROM offer WHERE status = 'active' ORDER BY id")]
                if active:
                    await db.execute("UPDATE offer SET status = 'withdrawn' WHERE id = $1", rng.choice(active))
            elif action == 5:
                offers = [r["id"] for r in await db.fetch("SELECT id FROM offer ORDER BY id")]
                if offers:
                    await db.execute("UPDATE offer SET street = $1 WHERE id = $2", where.id, rng.choice(offers))
            elif action == 6:
                other = rng.choice(people)
                if other is not who:
                    await db.execute("INSERT INTO resident_block (blocker, blocked) VALUES ($1, $2) "
                                     "ON CONFLICT DO NOTHING", who.id, other.id)
            else:
                await db.execute("UPDATE resident SET display_name = $2 WHERE id = $1", who.id, f"{who.display_name}'")
            for viewer in people:
                for filters in (Filters(), Filters.parse(type="offer")):
                    assert await seen(viewer, filters, limit=4) == await reference(viewer, filters, limit=4), step
    assert cache.PAGES.hits > 100
