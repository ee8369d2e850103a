"""A street left with nobody living on it is archived: its last member can always close their account
(or move away), even as its only coordinator. A street others still live on keeps needing a
coordinator: its only one appoints a neighbour first (they would otherwise be left without anyone
to welcome newcomers and deal with problems)."""

from __future__ import annotations

import pytest
from support.cast import ELM_STREET, OAK_ROAD, PASSWORD, make_street, place_resident

from streetshare import db
from streetshare.accounts import service
from streetshare.coordinators import queries as coordinators
from streetshare.coordinators.service import OnlyCoordinator
from streetshare.errors import NotFound
from streetshare.places import queries as places
from streetshare.places import service as places_service
from streetshare.places.service import InviteUnusable


async def archived(street) -> bool:
    return await db.fetchval("SELECT archived_at IS NOT NULL FROM street WHERE id = $1", street.id)


async def test_only_member_and_coordinator_closes_their_account_and_the_street_is_archived(carol, dave):
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    assert await coordinators.roles_left_when_leaving(carol.id) == [
        coordinators.RoleLeft(elm.id, "Elm Street", only=False, alone=True)]

    await service.close_account(acting=carol.id, password=PASSWORD)

    assert await db.fetchval("SELECT is_active FROM resident WHERE id = $1", carol.id) is False
    assert await archived(elm)
    assert await db.fetchval("SELECT count(*) FROM street_coordinator WHERE street = $1", elm.id) == 0
    # Nobody is offered the empty street any more, and its name is free again.
    assert [s.name for s in await places.nearby_streets(*ELM_STREET)] == []
    assert await places.same_name_nearby("Elm Street", *ELM_STREET) is None


async def test_nobody_joins_an_archived_street(carol, dave):
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await db.execute("INSERT INTO street_invite (street, code, created_by, created_at) VALUES ($1, 'elm-code', $2, now())",
                     elm.id, carol.id)
    await service.close_account(acting=carol.id, password=PASSWORD)
    await db.execute("UPDATE resident SET home_lat = $2, home_lng = $3 WHERE id = $1", dave.id, *ELM_STREET)

    with pytest.raises(NotFound):
        await places_service.join_street(acting=dave.id, street_id=elm.id)
    with pytest.raises(InviteUnusable):
        await places_service.join_by_invite(acting=dave.id, code="elm-code")
    assert await db.fetchval("SELECT street FROM resident WHERE id = $1", dave.id) is None


async def test_only_coordinator_of_a_street_others_live_on_still_appoints_someone_first(carol, bob):
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await place_resident(bob, elm)
    assert await coordinators.roles_left_when_leaving(carol.id) == [
        coordinators.RoleLeft(elm.id, "Elm Street", only=True, alone=False)]

    with pytest.raises(OnlyCoordinator):
        await service.close_account(acting=carol.id, password=PASSWORD)

    assert await db.fetchval("SELECT is_active FROM resident WHERE id = $1", carol.id) is True
    assert not await archived(elm)


async def test_a_member_closing_their_account_leaves_the_street_to_the_others(carol, bob):
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await place_resident(bob, elm)

    await service.close_account(acting=bob.id, password=PASSWORD)

    assert not await archived(elm)
    assert [s.name for s in await places.nearby_streets(*ELM_STREET)] == ["Elm Street"]


async def test_the_last_member_moving_away_archives_the_street_they_leave(carol):
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    oak = await make_street("Oak Road", OAK_ROAD, radius_m=1500)

    await places_service.join_street(acting=carol.id, street_id=oak.id)

    assert await archived(elm) and not await archived(oak)
    assert await db.fetchval("SELECT street FROM resident WHERE id = $1", carol.id) == oak.id
    assert await coordinators.roles_left_when_leaving(carol.id) == []
