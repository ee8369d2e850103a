"""Blocking another resident: each disappears from the other's feed and profile, no new exchange
between them, and the block can be lifted. alice and bob live on Elm Street, dave across town."""

from __future__ import annotations

import pytest
from support.cast import ELM_STREET, LEEDS, insert_offer, make_street, place_resident

from streetshare import db
from streetshare.errors import Conflict, NotAllowed, NotFound
from streetshare.exchanges import service as exchanges
from streetshare.feed.queries import feed_page
from streetshare.places import queries, service
from streetshare.reputation.queries import profile_access


@pytest.fixture
async def elm(alice, bob):
    street = await make_street("Elm Street", ELM_STREET)
    await place_resident(alice, street)
    await place_resident(bob, street)
    return street


async def test_resident_blocks_a_neighbour_and_neither_sees_the_other(alice, bob, elm):
    ladder = await insert_offer(alice, elm, title="Ladder")
    drill = await insert_offer(bob, elm, title="Drill")

    assert await service.block(acting=alice.id, resident_id=bob.id) is True

    assert [i.id for i in (await feed_page(alice.id)).items] == [ladder]
    assert [i.id for i in (await feed_page(bob.id)).items] == [drill]
    assert not (await profile_access(bob.id, alice.id)).visible
    assert not (await profile_access(alice.id, bob.id)).visible
    assert [b.display_name for b in await queries.blocked_by(alice.id)] == ["Bob"]
    assert await queries.blocked_by(bob.id) == []  # bob is not told
    with pytest.raises((Conflict, NotAllowed, NotFound)):
        await exchanges.request_offer(ladder, acting=bob.id)


async def test_blocking_twice_changes_nothing(alice, bob, elm):
    assert await service.block(acting=alice.id, resident_id=bob.id) is True
    assert await service.block(acting=alice.id, resident_id=bob.id) is False
    assert await db.fetchval("SELECT count(*) FROM resident_block") == 1


async def test_cannot_block_yourself(alice, elm):
    with pytest.raises(NotAllowed):
        await service.block(acting=alice.id, resident_id=alice.id)


async def test_cannot_block_someone_you_cannot_see(alice, dave, elm):
    await place_resident(dave, await make_street("Leeds Lane", LEEDS))
    with pytest.raises(NotFound):
        await service.block(acting=alice.id, resident_id=dave.id)
    with pytest.raises(NotFound):
        await service.block(acting=alice.id, resident_id=99999)
    assert await db.fetchval("SELECT count(*) FROM resident_block") == 0


async def test_unblocking_lifts_only_your_own_block(alice, bob, elm):
    ladder = await insert_offer(alice, elm, title="Ladder")
    await service.block(acting=alice.id, resident_id=bob.id)
    assert await service.unblock(acting=bob.id, resident_id=alice.id) is False  # bob blocked nobody
    assert [i.id for i in (await feed_page(bob.id)).items] == []

    assert await service.unblock(acting=alice.id, resident_id=bob.id) is True
    assert [i.id for i in (await feed_page(bob.id)).items] == [ladder]
    assert await service.unblock(acting=alice.id, resident_id=bob.id) is False
