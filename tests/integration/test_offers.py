"""Offer verbs on the real database: create, edit, pause, resume, withdraw, gone; who may do each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.cast import LEEDS, OAK_ROAD, block, make_offer, make_resident, make_street, place_resident

from streetshare import clock, db
from streetshare.errors import IllegalTransition, Invalid, NotAllowed, NotFound
from streetshare.offers import queries, rules, service

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def elm(alice, bob, carol, dave):
    """alice and bob on Elm Street, carol on neighbouring Oak Road, dave in Leeds."""
    elm = await make_street("Elm Street")
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    await place_resident(carol, await make_street("Oak Road", OAK_ROAD))
    await place_resident(dave, await make_street("Leeds Lane", LEEDS))
    return elm


async def status_of(offer_id: int) -> str:
    return await db.fetchval("SELECT status FROM offer WHERE id = $1", offer_id)


async def test_offer_goes_on_the_owners_home_street_as_active(elm, alice):
    offer_id = await make_offer(alice, title="Ladder to lend", description="Three metres")
    row = await db.fetchrow("SELECT owner, street, status, loan_days, kind FROM offer WHERE id = $1", offer_id)
    assert dict(row) == {"owner": alice.id, "street": elm.id, "status": "active", "loan_days": 7, "kind": "lend"}


async def test_every_category_in_the_list_is_one_the_database_accepts(elm, alice):
    for category in rules.CATEGORIES:
        await make_offer(alice, title=f"Something for {category}", category=category)
    assert await db.fetchval("SELECT count(*) FROM offer") == len(rules.CATEGORIES)


async def test_all_four_kinds(elm, alice):
    with clock.frozen_at(T0):
        await make_offer(alice, kind="lend", title="Hedge trimmer to lend", category="garden", loan_days="3")
        await make_offer(alice, kind="give", title="Cot to give away", category="children")
        await make_offer(alice, kind="skill", title="Bike repairs", category="diy_help")
        time_id = await make_offer(alice, kind="time", title="Tip run Saturday 10:00, room for 3 bags",
                                   category="lifts_errands", slots="3", starts_at="2026-12-05T10:00")
    row = await db.fetchrow("SELECT slots, starts_at, loan_days FROM offer WHERE id = $1", time_id)
    assert (row["slots"], row["starts_at"], row["loan_days"]) == (3, datetime(2026, 12, 5, 10, tzinfo=UTC), None)


async def test_resident_without_a_home_street_is_asked_to_set_it_first():
    erin = await make_resident("Erin")
    with pytest.raises(Invalid) as refused:
        await make_offer(erin)
    assert "set your home street" in refused.value.errors["street"]
    assert await db.fetchval("SELECT count(*) FROM offer") == 0


async def test_invalid_offer_writes_nothing_and_names_each_field(elm, alice):
    with pytest.raises(Invalid) as refused:
        await service.create_offer(acting=alice.id, fields={"kind": "time", "title": "x", "category": "",
                                                            "slots": "60"})
    assert set(refused.value.errors) == {"title", "category", "slots", "starts_at"}
    assert await db.fetchval("SELECT count(*) FROM offer") == 0


async def test_owner_edits_their_offer(elm, alice):
    offer_id = await make_offer(alice, title="Ladder to lend")
    await service.update_offer(offer_id, acting=alice.id, changes={"title": "Tall ladder to lend", "loan_days": "14",
                                                                   "neighbours_may_see": False})
    row = await db.fetchrow("SELECT title, loan_days, neighbours_may_see, kind FROM offer WHERE id = $1", offer_id)
    assert tuple(row) == ("Tall ladder to lend", 14, False, "lend")


async def test_an_invalid_edit_changes_nothing(elm, alice):
    offer_id = await make_offer(alice, title="Ladder to lend")
    with pytest.raises(Invalid):
        await service.update_offer(offer_id, acting=alice.id, changes={"title": "", "loan_days": "7"})
    assert await db.fetchval("SELECT title FROM offer WHERE id = $1", offer_id) == "Ladder to lend"


async def test_a_neighbour_who_can_see_the_offer_may_not_edit_it(elm, alice, bob):
    offer_id = await make_offer(alice)
    with pytest.raises(NotAllowed):
        await service.update_offer(offer_id, acting=bob.id, changes={"title": "Mine now"})


async def test_someone_who_cannot_see_the_offer_is_told_it_does_not_exist(elm, alice, dave):
    offer_id = await make_offer(alice)
    with pytest.raises(NotFound):
        await service.update_offer(offer_id, acting=dave.id, changes={"title": "Mine now"})
    with pytest.raises(NotFound):
        await service.pause_offer(offer_id, acting=dave.id)


async def test_an_ended_offer_cannot_be_edited(elm, alice):
    offer_id = await make_offer(alice)
    await service.withdraw_offer(offer_id, acting=alice.id)
    with pytest.raises(IllegalTransition):
        await service.update_offer(offer_id, acting=alice.id, changes={"title": "Back again"})


async def test_owner_pauses_and_resumes_their_offer(elm, alice):
    offer_id = await make_offer(alice)
    assert await service.pause_offer(offer_id, acting=alice.id) == "paused"
    assert await service.resume_offer(offer_id, acting=alice.id) == "active"
    assert await status_of(offer_id) == "active"


async def test_cannot_pause_twice_or_resume_an_active_offer(elm, alice):
    offer_id = await make_offer(alice)
    await service.pause_offer(offer_id, acting=alice.id)
    with pytest.raises(IllegalTransition):
        await service.pause_offer(offer_id, acting=alice.id)
    await service.resume_offer(offer_id, acting=alice.id)
    with pytest.raises(IllegalTransition):
        await service.resume_offer(offer_id, acting=alice.id)


async def test_neighbour_cannot_pause_or_withdraw_someone_elses_offer(elm, alice, bob):
    offer_id = await make_offer(alice)
    with pytest.raises(NotAllowed):
        await service.pause_offer(offer_id, acting=bob.id)
    with pytest.raises(NotAllowed):
        await service.withdraw_offer(offer_id, acting=bob.id)
    assert await status_of(offer_id) == "active"


async def test_owner_withdraws_and_a_withdrawn_offer_stays_withdrawn(elm, alice):
    offer_id = await make_offer(alice)
    await service.withdraw_offer(offer_id, acting=alice.id)
    for verb in (service.withdraw_offer, service.resume_offer, service.pause_offer):
        with pytest.raises(IllegalTransition):
            await verb(offer_id, acting=alice.id)
    assert await status_of(offer_id) == "withdrawn"


async def test_a_completed_give_away_is_gone_once(elm, alice):
    offer_id = await make_offer(alice, kind="give", title="Cot to give away", category="children")
    await service.mark_gone(offer_id)
    assert await status_of(offer_id) == "gone"
    with pytest.raises(IllegalTransition):
        await service.mark_gone(offer_id)


async def test_only_a_give_away_can_be_gone(elm, alice):
    offer_id = await make_offer(alice, kind="lend")
    with pytest.raises(IllegalTransition):
        await service.mark_gone(offer_id)
    assert await status_of(offer_id) == "active"


async def test_the_owner_cannot_mark_their_offer_gone_themselves(elm, alice):
    offer_id = await make_offer(alice, kind="give", title="Cot to give away")
    with pytest.raises(Invalid):
        await service.change_status(offer_id, "give_away", acting=alice.id)


async def test_mark_gone_rolls_back_with_the_exchange_that_called_it(elm, alice):
    offer_id = await make_offer(alice, kind="give", title="Cot to give away")
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await service.mark_gone(offer_id)
            raise RuntimeError("the exchange failed after all")
    assert await status_of(offer_id) == "active"


# ---------------------------------------------------------------- reading one offer


async def test_neighbour_reads_the_offer_with_owner_street_and_rounded_distance(elm, alice, bob):
    offer_id = await make_offer(alice, title="Ladder to lend")
    offer = await queries.offer_for_viewer(offer_id, bob.id)
    assert (offer.owner_name, offer.street_name, offer.distance_m, offer.is_owner) == ("Alice", "Elm Street", 100, False)
    assert offer.actions == [] and not offer.can_edit


@pytest.mark.parametrize("who", ["dave", "carol_when_street_only", "blocked", "blocker"])
async def test_nobody_out_of_scope_can_open_an_offer(elm, alice, bob, carol, dave, who):
    offer_id = await make_offer(alice, title="Ladder to lend", neighbours_may_see=who != "carol_when_street_only")
    viewer = {"dave": dave, "carol_when_street_only": carol, "blocked": bob, "blocker": bob}[who]
    if who == "blocked":
        await block(alice, bob)
    if who == "blocker":
        await block(bob, alice)
    assert await queries.offer_for_viewer(offer_id, viewer.id) is None
    assert not await queries.offer_visible_to(offer_id, viewer.id)


async def test_a_withdrawn_offer_is_only_for_its_owner_but_paused_and_gone_ones_can_be_opened(elm, alice, bob):
    paused = await make_offer(alice, title="Paused ladder")
    await service.pause_offer(paused, acting=alice.id)
    withdrawn = await make_offer(alice, title="Withdrawn drill")
    await service.withdraw_offer(withdrawn, acting=alice.id)
    assert (await queries.offer_for_viewer(paused, bob.id)).status_label == "Paused for now"
    assert await queries.offer_for_viewer(withdrawn, bob.id) is None
    assert (await queries.offer_for_viewer(withdrawn, alice.id)).status == "withdrawn"


async def test_my_offers_lists_live_ones_first(elm, alice, bob):
    with clock.frozen_at(T0):
        old = await make_offer(alice, title="Old drill")
    with clock.frozen_at(T0 + timedelta(hours=1)):
        ended = await make_offer(alice, title="Ended ladder")
        await service.withdraw_offer(ended, acting=alice.id)
    with clock.frozen_at(T0 + timedelta(hours=2)):
        await make_offer(bob, title="Not mine")
    assert [o.title for o in await queries.offers_of(alice.id)] == ["Old drill", "Ended ladder"]
    assert old
