"""Moving street under real concurrency: two residents, each the only member (and coordinator) of their
street, move to each other's street at the same moment, each in its own transaction on its own pooled
connection (asyncio.gather), repeated for ROUNDS rounds.

The first to commit archives the street they leave (nobody else lived there), so the other finds it
gone: a clean domain error (a 404, or an unusable invite), never a deadlock (a 500). So with a coordinator
removing or appointing the resident who is leaving at that moment."""

from __future__ import annotations

import asyncio
import os

from support.cast import ELM_STREET, OAK_ROAD, make_street, place_resident, quick_resident

from streetshare import clock, db
from streetshare.errors import NotFound
from streetshare.places import service
from streetshare.places.service import InviteUnusable

ROUNDS = int(os.environ.get("MOVING_RACE_ROUNDS", "10"))


async def two_lone_streets(round_: int):
    """Two streets a few hundred metres apart, each with one resident who is also its coordinator."""
    first, second = await quick_resident(f"First {round_}"), await quick_resident(f"Second {round_}")
    elm = await make_street(f"Elm Street {round_}", ELM_STREET, coordinator=first)
    oak = await make_street(f"Oak Road {round_}", OAK_ROAD, coordinator=second)
    # Homes halfway between: each may join the other's street directly.
    halfway = ((ELM_STREET[0] + OAK_ROAD[0]) / 2, (ELM_STREET[1] + OAK_ROAD[1]) / 2)
    await place_resident(first, elm, home=halfway)
    await place_resident(second, oak, home=halfway)
    return (first, elm), (second, oak)


async def invite(street, code: str) -> str:
    await db.execute("INSERT INTO street_invite (street, code, created_at) VALUES ($1, $2, $3)",
                     street.id, code, clock.now())
    return code


async def swap(*calls) -> list:
    """Run the calls at once: what each returned, or the street-is-gone error it raised. Anything else fails."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, NotFound | InviteUnusable)]
    assert not unexpected, unexpected
    assert any(not isinstance(r, BaseException) for r in results), results  # somebody moved
    return results


async def nobody_lives_on_an_archived_street() -> None:
    assert await db.fetchval(
        "SELECT count(*) FROM resident r JOIN street s ON s.id = r.street "
        "WHERE r.is_active AND s.archived_at IS NOT NULL"
    ) == 0


async def test_lone_residents_swapping_streets_at_once_never_deadlock():
    for round_ in range(ROUNDS):
        (first, elm), (second, oak) = await two_lone_streets(round_)

        await swap(service.join_street(acting=first.id, street_id=oak.id),
                   service.join_street(acting=second.id, street_id=elm.id))

        await nobody_lives_on_an_archived_street()


async def test_lone_residents_swapping_streets_by_invite_at_once_never_deadlock():
    for round_ in range(ROUNDS):
        (first, elm), (second, oak) = await two_lone_streets(round_)
        to_oak, to_elm = await invite(oak, f"oak-{round_}"), await invite(elm, f"elm-{round_}")

        await swap(service.join_by_invite(acting=first.id, code=to_oak),
                   service.join_by_invite(acting=second.id, code=to_elm))

        await nobody_lives_on_an_archived_street()


async def test_lone_residents_swapping_by_invite_and_directly_at_once_never_deadlock():
    for round_ in range(ROUNDS):
        (first, elm), (second, oak) = await two_lone_streets(round_)
        to_oak = await invite(oak, f"oak-{round_}")

        await swap(service.join_by_invite(acting=first.id, code=to_oak),
                   service.join_street(acting=second.id, street_id=elm.id))

        await nobody_lives_on_an_archived_street()



async def waiting_for_locks(count: int, *, unless_done: asyncio.Task | None = None) -> None:
    """Until `count` other transactions wait for a row lock (a few seconds at most), or the task is done."""
    for _ in range(500):
        waiting = await db.fetchval("SELECT count(*) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND wait_event_type = 'Lock'")
        if waiting >= count or (unless_done is not None and unless_done.done()):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{waiting} transactions wait for a lock, not {count}")


async def test_resident_moving_away_while_a_coordinator_removes_them_never_deadlocks(carol, alice):
    """Removing takes the resident's row and then their street's; moving takes the resident's and then
    the streets'. A transaction held by hand on the street moved to stops the move between the two,
    while the removal starts: both then wait, and letting go must not leave them waiting on each other."""
    from streetshare.moderation.service import remove_resident

    oak = await make_street("Oak Road", OAK_ROAD)  # the lower id: a move locks it before the street left
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await place_resident(alice, elm, home=OAK_ROAD)

    async with db.connection() as held, held.transaction():
        await held.execute("SELECT id FROM street WHERE id = $1 FOR SHARE", oak.id)
        moving = asyncio.create_task(service.join_street(acting=alice.id, street_id=oak.id))
        await waiting_for_locks(1)
        removing = asyncio.create_task(remove_resident(elm.id, alice.id, acting=carol.id, reason="Moved away"))
        await waiting_for_locks(2)

    moved, removed = await swap(moving, removing)
    assert moved is True and isinstance(removed, NotFound)  # they had left: "They aren't a member"
    assert await db.fetchval("SELECT street FROM resident WHERE id = $1", alice.id) == oak.id


async def test_resident_moving_away_while_a_coordinator_appoints_them_never_deadlocks(carol, alice):
    """Appointing takes the street's row, then (its foreign key) shares the resident's; moving holds the
    resident's row and then takes the streets'. Stopped between the two as above, neither may wait on
    the other: the move goes on, and they step down again on the street they leave."""
    from streetshare.coordinators.service import appoint_coordinator

    oak = await make_street("Oak Road", OAK_ROAD)
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await place_resident(alice, elm, home=OAK_ROAD)

    async with db.connection() as held, held.transaction():
        await held.execute("SELECT id FROM street WHERE id = $1 FOR SHARE", oak.id)
        moving = asyncio.create_task(service.join_street(acting=alice.id, street_id=oak.id))
        await waiting_for_locks(1)
        appointing = asyncio.create_task(appoint_coordinator(elm.id, alice.id, acting=carol.id))
        await waiting_for_locks(2, unless_done=appointing)

    moved, appointed = await swap(moving, appointing)
    assert moved is True and appointed == alice.display_name
    assert await db.fetchval("SELECT street FROM resident WHERE id = $1", alice.id) == oak.id
    assert await db.fetchval("SELECT count(*) FROM street_coordinator WHERE resident = $1", alice.id) == 0


async def test_closing_an_account_while_a_coordinator_appoints_them_never_deadlocks(carol, alice, bob):
    """Closing an account takes the resident's row, then the streets they live on or coordinate (Oak
    Road, held here by hand, then Elm Street); appointing them on Elm Street meanwhile goes on."""
    from streetshare.accounts.service import close_account
    from streetshare.coordinators.service import appoint_coordinator

    oak = await make_street("Oak Road", OAK_ROAD, coordinator=bob)
    await db.execute("INSERT INTO street_coordinator (street, resident, appointed_at) VALUES ($1, $2, $3)",
                     oak.id, alice.id, clock.now())
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await place_resident(alice, elm)

    async with db.connection() as held, held.transaction():
        await held.execute("SELECT id FROM street WHERE id = $1 FOR SHARE", oak.id)
        closing = asyncio.create_task(close_account(acting=alice.id, password=alice.password))
        await waiting_for_locks(1)
        appointing = asyncio.create_task(appoint_coordinator(elm.id, alice.id, acting=carol.id))
        await waiting_for_locks(2, unless_done=appointing)

    closed, appointed = await swap(closing, appointing)
    assert closed is None and appointed == alice.display_name
    assert await db.fetchval("SELECT is_active FROM resident WHERE id = $1", alice.id) is False
    assert await db.fetchval("SELECT count(*) FROM street_coordinator WHERE resident = $1", alice.id) == 0
