"""Matching asks written the way people write: the kind of help left out is guessed and never
excludes a kind of offer; a kind the asker said ranks; same street first, then nearer; own posts never.

alice asks on Elm Street; bob and carol offer on Elm Street; dave lives on Oak Road, a neighbouring street.
"""

from __future__ import annotations

from datetime import timedelta

from support.cast import ELM_STREET, OAK_ROAD, make_street, place_resident

from streetshare import clock, db
from streetshare.asks import service as asks
from streetshare.matching import queries, service


async def offer(owner, street, title, *, kind="lend", category="tools", description="", age=timedelta(0)) -> int:
    starts_at = clock.now() + timedelta(days=3) if kind == "time" else None
    return await db.fetchval(
        "INSERT INTO offer (owner, street, kind, title, description, category, starts_at, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        owner.id, street.id, kind, title, description, category, starts_at, clock.now() - age,
    )


async def elm(*people):
    street = await make_street("Elm Street", ELM_STREET)
    for i, person in enumerate(people):
        await place_resident(person, street, home=(street.lat + 0.0009 * (i + 1), street.lng))
    return street


async def asked(person, title, category, description="", **more) -> int:
    """An ask made as the web form or the API makes it (the kind left out unless given)."""
    return await asks.create_ask(acting=person.id, fields={"title": title, "category": category,
                                                           "description": description, **more})


async def offers_for(ask_id: int) -> list[int]:
    return [r.offer for r in (await queries.rank_offers_for_ask(ask_id)).top]


async def test_asks_that_leave_the_kind_out_meet_the_neighbours_skills_and_time(alice, bob, carol):
    street = await elm(alice, bob, carol)
    mowing = await offer(bob, street, "Lawn mowing", kind="skill", category="garden",
                         description="I'll cut your grass with my own mower.")
    tip = await offer(carol, street, "Tip run on Saturday", kind="time", category="lifts_errands",
                      description="Room in the car for a few bags.")
    cv = await offer(carol, street, "CV and cover letter help", kind="skill", category="other",
                     description="I worked in recruitment for years.")

    lawn = await asked(alice, "Could someone mow my lawn while I'm away?", "garden")
    going = await asked(alice, "Anyone going to the tip on Saturday?", "lifts_errands")
    job = await asked(alice, "Help with a job application?", "other")

    assert await offers_for(lawn) == [mowing]
    assert await offers_for(going) == [tip]
    assert await offers_for(job) == [cv]
    kinds = await db.fetch("SELECT help_kind, help_kind_stated FROM ask WHERE id = ANY($1::int[]) ORDER BY id",
                           [lawn, going, job])
    assert [(r["help_kind"], r["help_kind_stated"]) for r in kinds] == [("time", False), ("time", False),
                                                                        ("skill", False)]


async def test_a_guessed_kind_never_excludes_an_offer_of_another_kind(alice, bob):
    street = await elm(alice, bob)
    mower = await offer(bob, street, "Petrol lawn mower", kind="lend", category="garden")
    lawn = await asked(alice, "Could someone mow my lawn?", "garden")  # guessed: help
    assert await offers_for(lawn) == [mower]
    reasons = (await queries.rank_offers_for_ask(lawn)).top[0].reasons
    assert "to borrow and do it yourself" in [r.text for r in reasons]


async def test_a_stated_kind_ranks_but_never_excludes(alice, bob, carol):
    street = await elm(alice, bob, carol)
    mowing = await offer(bob, street, "Lawn mowing", kind="skill", category="garden")
    borrow = await asked(alice, "Lawn mower", "garden", help_kind="borrow")
    assert await offers_for(borrow) == [mowing]
    top = (await queries.rank_offers_for_ask(borrow)).top[0]
    assert "a neighbour's skill rather than a thing" in [r.text for r in top.reasons]

    mower = await offer(carol, street, "Lawn mower", kind="lend", category="garden")
    assert (await offers_for(borrow))[0] == mower


async def test_the_same_street_comes_before_a_nearer_match_on_another_street(alice, bob, dave):
    street = await elm(alice, bob)  # bob lives 100 m from alice
    oak = await make_street("Oak Road", OAK_ROAD)
    alice_home = (street.lat + 0.0009, street.lng)
    await place_resident(dave, oak, home=(alice_home[0] + 0.0072, alice_home[1]))  # 800 m from alice
    far = await offer(dave, oak, "Step ladder", description="Six-tread step ladder, fine for painting.")
    near = await offer(bob, street, "Ladder")
    wanted = await asked(alice, "Step ladder for painting the landing", "tools")
    assert await offers_for(wanted) == [near, far]
    reasons = [r.text for r in (await queries.rank_offers_for_ask(wanted)).top[0].reasons]
    assert "on the same street" in reasons


async def test_a_fresh_offer_ranks_above_an_old_one_a_little_nearer(alice, bob, carol):
    street = await elm(alice, bob, carol)  # bob 100 m from alice's street centre, carol 200 m
    older = await offer(bob, street, "Ladder", age=timedelta(days=120))
    newer = await offer(carol, street, "Ladder")
    wanted = await asked(alice, "ladder?", "tools")
    assert await offers_for(wanted) == [newer, older]
    top = (await queries.rank_offers_for_ask(wanted)).top[0]
    assert "offered today" in [r.text for r in top.reasons]


async def test_own_posts_are_never_matches_from_either_side(alice, bob):
    street = await elm(alice, bob)
    mine = await offer(alice, street, "Ladder")
    theirs = await offer(bob, street, "Ladder")
    wanted = await asked(alice, "Ladder", "tools")
    assert await offers_for(wanted) == [theirs]
    assert [r.ask for r in (await queries.rank_asks_for_offer(mine)).top] == []
    await service.match_offer(mine)
    await service.match_ask(wanted)
    assert [m.offer_id for m in await queries.matches_for_ask(wanted, alice.id)] == [theirs]


async def test_an_offer_far_below_the_best_fit_is_not_shown_with_it(alice, bob, carol):
    street = await elm(alice, bob, carol)
    drill = await offer(bob, street, "Cordless drill")
    await offer(carol, street, "Drill bits set", kind="give")
    wanted = await asked(alice, "drill?", "tools")
    await service.match_ask(wanted)
    assert [m.offer_id for m in await queries.matches_for_ask(wanted, alice.id)] == [drill]
