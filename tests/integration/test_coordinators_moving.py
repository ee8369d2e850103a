"""A coordinator runs the street they live on: moving away (joining another street, by invite or by
starting a new one) steps them down on the street they leave, and the only coordinator of a street
cannot leave it without one."""

from __future__ import annotations

import asyncio

import pytest
from support.cast import ELM_STREET, LEEDS, OAK_ROAD, make_street, place_resident

from streetshare import clock, db
from streetshare.coordinators import queries as coordinators
from streetshare.coordinators.service import OnlyCoordinator
from streetshare.places import queries, service

SECRET = "test-secret-key-that-is-long-enough-0123456789"


async def coordinates(person, street) -> bool:
    return await queries.is_coordinator(person.id, street.id)


async def appoint(person, street) -> None:
    await db.execute("INSERT INTO street_coordinator (street, resident, appointed_at) VALUES ($1, $2, $3)",
                     street.id, person.id, clock.now())


async def invite(street, code="oak-invite") -> str:
    await db.execute("INSERT INTO street_invite (street, code, created_at) VALUES ($1, $2, $3)",
                     street.id, code, clock.now())
    return code


@pytest.fixture
async def elm(carol, alice):
    """Elm Street, coordinated by carol and alice, who both live there."""
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await place_resident(alice, elm)
    await appoint(alice, elm)
    return elm


async def test_coordinator_who_moves_street_steps_down_on_the_old_one(carol, alice, elm):
    oak = await make_street("Oak Road", OAK_ROAD)

    assert await service.join_street(acting=carol.id, street_id=oak.id) is True

    assert (await queries.home_street(carol.id)).id == oak.id
    assert not await coordinates(carol, elm)
    assert await coordinates(alice, elm)
    logged = await db.fetchrow("SELECT actor, action, target_id, reason FROM moderation_log WHERE street = $1", elm.id)
    assert dict(logged) == {"actor": carol.id, "action": "step_down", "target_id": carol.id,
                            "reason": "Moved to another street"}


async def test_only_coordinator_cannot_move_away_and_nothing_is_written(carol, elm, alice):
    await db.execute("DELETE FROM street_coordinator WHERE resident = $1", alice.id)
    oak = await make_street("Oak Road", OAK_ROAD)
    offer = await db.fetchval("INSERT INTO offer (owner, street, kind, title, category) "
                              "VALUES ($1, $2, 'lend', 'Ladder', 'tools') RETURNING id", carol.id, elm.id)

    with pytest.raises(OnlyCoordinator) as caught:
        await service.join_street(acting=carol.id, street_id=oak.id)

    assert "only coordinator of Elm Street" in caught.value.message
    assert (await queries.home_street(carol.id)).id == elm.id
    assert await coordinates(carol, elm)
    assert await db.fetchval("SELECT street FROM offer WHERE id = $1", offer) == elm.id
    assert await db.fetchval("SELECT count(*) FROM moderation_log") == 0


async def test_only_coordinator_cannot_join_by_invite_and_the_invite_is_not_used(carol, elm, alice):
    await db.execute("DELETE FROM street_coordinator WHERE resident = $1", alice.id)
    oak = await make_street("Oak Road", LEEDS)
    code = await invite(oak)

    with pytest.raises(OnlyCoordinator):
        await service.join_by_invite(acting=carol.id, code=code)

    assert await db.fetchval("SELECT uses FROM street_invite WHERE code = $1", code) == 0
    assert (await queries.home_street(carol.id)).id == elm.id


async def test_only_coordinator_cannot_start_another_street(carol, elm, alice):
    await db.execute("DELETE FROM street_coordinator WHERE resident = $1", alice.id)

    with pytest.raises(OnlyCoordinator):
        await service.create_street(acting=carol.id, name="Birch Close", centre=OAK_ROAD, secret=SECRET)

    assert await db.fetchval("SELECT count(*) FROM street WHERE name = 'Birch Close'") == 0
    assert await coordinates(carol, elm)


async def test_coordinator_who_starts_a_street_coordinates_only_the_new_one(carol, elm):
    street_id = await service.create_street(acting=carol.id, name="Birch Close", centre=OAK_ROAD, secret=SECRET)

    assert await queries.is_coordinator(carol.id, street_id)
    assert not await coordinates(carol, elm)


async def test_two_coordinators_moving_away_at_once_leave_one_behind(carol, alice, bob, elm):
    await place_resident(bob, elm)  # a neighbour stays (a street nobody is left on is archived instead)
    oak = await make_street("Oak Road", OAK_ROAD)

    results = await asyncio.gather(
        service.join_street(acting=carol.id, street_id=oak.id),
        service.join_street(acting=alice.id, street_id=oak.id),
        return_exceptions=True,
    )

    assert sorted(type(r).__name__ for r in results) == ["OnlyCoordinator", "bool"]
    assert await db.fetchval("SELECT count(*) FROM street_coordinator WHERE street = $1", elm.id) == 1


async def test_the_pages_that_move_a_resident_say_which_roles_they_leave(carol, alice, elm):
    oak = await make_street("Oak Road", OAK_ROAD)
    assert await coordinators.roles_left_when_leaving(carol.id, oak.id) == [
        coordinators.RoleLeft(elm.id, "Elm Street", only=False)]
    assert await coordinators.roles_left_when_leaving(carol.id, elm.id) == []

    await db.execute("DELETE FROM street_coordinator WHERE resident = $1", alice.id)
    assert await coordinators.roles_left_when_leaving(carol.id) == [
        coordinators.RoleLeft(elm.id, "Elm Street", only=True)]
    assert await coordinators.roles_left_when_leaving(alice.id, oak.id) == []
