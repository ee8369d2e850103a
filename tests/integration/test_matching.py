"""Matching on the real database: who is matched with whom (kinds, scope both ways, blocks, live items),
what is stored, who is told, and dismissing.

alice asks, bob and carol offer on Elm Street; dave lives on Oak Road (about 1 km away) or in Leeds.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from support.cast import ELM_STREET, LEEDS, OAK_ROAD, history_exchange, make_street, place_resident

from streetshare import clock, db, jobs
from streetshare.errors import NotFound
from streetshare.matching import queries, service
from streetshare.settings import Settings


async def offer(owner, street, title, *, kind="lend", category="tools", description="", status="active",
                neighbours_may_see=True, hidden=False, starts_at=None) -> int:
    if kind == "time" and starts_at is None:
        starts_at = clock.now() + timedelta(days=3)
    return await db.fetchval(
        "INSERT INTO offer (owner, street, kind, title, description, category, status, neighbours_may_see, "
        "hidden_at, starts_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) "
        "RETURNING id",
        owner.id, street.id, kind, title, description, category, status, neighbours_may_see,
        clock.now() if hidden else None, starts_at, clock.now(),
    )


async def ask(owner, street, title, *, help_kind="borrow", category="tools", description="", status="open",
              neighbours_may_see=True, hidden=False, expires_in=timedelta(days=30), stated=True) -> int:
    """An ask whose kind the asker said (`stated`), or left out (then help_kind is the app's guess)."""
    return await db.fetchval(
        "INSERT INTO ask (owner, street, title, description, category, help_kind, help_kind_stated, expires_at, "
        "status, neighbours_may_see, hidden_at, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $12, $7, $8, $9, $10, $11, $11) RETURNING id",
        owner.id, street.id, title, description, category, help_kind, clock.now() + expires_in, status,
        neighbours_may_see, clock.now() if hidden else None, clock.now(), stated,
    )


async def elm(*people):
    """Elm Street, with each person living 100 m further north than the one before."""
    street = await make_street("Elm Street", ELM_STREET)
    for i, person in enumerate(people):
        await place_resident(person, street, home=(street.lat + 0.0009 * (i + 1), street.lng))
    return street


async def offers_for(ask_id: int) -> list[int]:
    return [r.offer for r in (await queries.rank_offers_for_ask(ask_id)).top]


async def asks_for(offer_id: int) -> list[int]:
    return [r.ask for r in (await queries.rank_asks_for_offer(offer_id)).top]


async def notifications(person) -> list[str]:
    rows = await db.fetch("SELECT text FROM notification WHERE resident = $1 "
                          "AND kind IN ('match_found', 'ask_matches_offer') ORDER BY id", person.id)
    return [r["text"] for r in rows]


# ---------------------------------------------------------------- the "done when" case


async def test_hedge_ask_sees_the_neighbours_trimmer_and_garden_help_ranked_with_reasons(alice, bob, carol):
    street = await elm(alice, bob, carol)
    trimmer = await offer(bob, street, "Hedge trimmer to lend", category="garden",
                          description="Bosch electric hedge trimmer, 50 cm blade.")
    garden = await offer(carol, street, "Garden help on Saturdays", kind="time", category="garden",
                         description="Happy to do mowing, weeding and pruning for a neighbour.")
    hedge = await ask(alice, street, "Someone to cut back my hedge", help_kind="skill", category="garden",
                      description="It's grown over the pavement.")

    await service.match_ask(hedge)
    found = await queries.matches_for_ask(hedge, alice.id)

    assert {m.offer_id for m in found} == {trimmer, garden}
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    by_offer = {m.offer_id: m for m in found}
    assert by_offer[trimmer].reasons == ["both mention hedge", "cut back ≈ trimmer", "Garden",
                                         "to borrow and do it yourself", "on the same street", "about 100 m away",
                                         "offered today"]
    assert by_offer[garden].reasons == ["cut back ≈ prune", "Garden", "the kind of help asked for",
                                        "on the same street", "about 200 m away", "offered today"]


async def test_garden_help_with_no_description_still_suits_a_garden_job(alice, carol):
    street = await elm(alice, carol)
    garden = await offer(carol, street, "Garden help on Saturdays", kind="time", category="garden")
    hedge = await ask(alice, street, "Someone to cut back my hedge", help_kind="skill", category="garden")
    assert await offers_for(hedge) == [garden]


# ---------------------------------------------------------------- kinds


async def test_an_ask_to_borrow_is_met_by_lend_and_give_offers_not_skills(alice, bob):
    street = await elm(alice, bob)
    lend = await offer(bob, street, "Extending ladder", kind="lend")
    give = await offer(bob, street, "Old stepladder, free", kind="give")
    await offer(bob, street, "Ladder safety lessons", kind="skill")
    ladder = await ask(alice, street, "Can anyone lend a ladder?")
    assert set(await offers_for(ladder)) == {lend, give}


async def test_an_ask_to_receive_ranks_a_giveaway_above_a_loan(alice, bob):
    street = await elm(alice, bob)
    give = await offer(bob, street, "Cot, free to a good home", kind="give", category="children")
    lend = await offer(bob, street, "Cot", kind="lend", category="children")
    cot = await ask(alice, street, "Cot for a new baby", help_kind="receive", category="children")
    assert (await offers_for(cot))[0] == give
    assert lend not in (await offers_for(cot))[:1]


async def test_an_ask_for_help_is_met_by_skills_and_time(alice, bob, carol):
    street = await elm(alice, bob, carol)
    skill = await offer(bob, street, "Bike repairs", kind="skill", category="sport_outdoors",
                        description="I can fix punctures and brakes.")
    time = await offer(carol, street, "Bike repairs on Sunday", kind="time", category="sport_outdoors",
                       description="Punctures, brakes, gears.")
    await offer(carol, street, "Bike pump", kind="give", category="sport_outdoors")
    puncture = await ask(alice, street, "Bike puncture", help_kind="skill", category="sport_outdoors")
    assert set(await offers_for(puncture)) == {skill, time}


# ---------------------------------------------------------------- never


async def test_never_a_residents_own_offer(alice, bob):
    street = await elm(alice, bob)
    await offer(alice, street, "Extending ladder")
    theirs = await offer(bob, street, "Ladder")
    ladder = await ask(alice, street, "Ladder")
    assert await offers_for(ladder) == [theirs]


@pytest.mark.parametrize("status", ["paused", "gone", "withdrawn"])
async def test_never_an_offer_that_is_not_on_offer(alice, bob, status):
    street = await elm(alice, bob)
    await offer(bob, street, "Ladder", status=status)
    assert await offers_for(await ask(alice, street, "Ladder")) == []


async def test_never_a_hidden_offer_or_a_time_offer_that_has_passed(alice, bob):
    street = await elm(alice, bob)
    await offer(bob, street, "Ladder", hidden=True)
    await offer(bob, street, "Tip run", kind="time", category="lifts_errands", starts_at=clock.now() - timedelta(days=2))
    assert await offers_for(await ask(alice, street, "Ladder")) == []
    assert await offers_for(await ask(alice, street, "Tip run", help_kind="time", category="lifts_errands")) == []


@pytest.mark.parametrize("status", ["fulfilled", "withdrawn", "expired"])
async def test_a_closed_ask_is_never_matched(alice, bob, status):
    street = await elm(alice, bob)
    lend = await offer(bob, street, "Ladder")
    closed = await ask(alice, street, "Ladder", status=status)
    assert await offers_for(closed) == []
    assert await asks_for(lend) == []


async def test_an_ask_past_its_expiry_or_hidden_is_never_matched(alice, bob):
    street = await elm(alice, bob)
    lend = await offer(bob, street, "Ladder")
    await ask(alice, street, "Ladder", expires_in=timedelta(minutes=-1))
    await ask(alice, street, "Ladder", hidden=True)
    assert await asks_for(lend) == []


@pytest.mark.parametrize("who_blocks", ["asker", "offerer"])
async def test_never_a_blocked_resident_either_way(alice, bob, who_blocks):
    street = await elm(alice, bob)
    lend = await offer(bob, street, "Ladder")
    ladder = await ask(alice, street, "Ladder")
    blocker, blocked = (alice, bob) if who_blocks == "asker" else (bob, alice)
    await db.execute("INSERT INTO resident_block (blocker, blocked, created_at) VALUES ($1, $2, $3)",
                     blocker.id, blocked.id, clock.now())
    assert await offers_for(ladder) == []
    assert await asks_for(lend) == []


async def test_never_an_offer_from_across_town(alice, dave):
    street = await elm(alice)
    leeds = await make_street("Leeds Road", LEEDS)
    await place_resident(dave, leeds)
    await offer(dave, leeds, "Ladder")
    assert await offers_for(await ask(alice, street, "Ladder")) == []


async def test_a_neighbouring_streets_offer_matches_when_both_look_nearby(alice, dave):
    street = await elm(alice)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(dave, oak)
    lend = await offer(dave, oak, "Ladder")
    ladder = await ask(alice, street, "Ladder")
    assert await offers_for(ladder) == [lend]
    assert await asks_for(lend) == [ladder]


async def test_a_neighbouring_streets_offer_kept_to_its_street_is_not_matched(alice, dave):
    street = await elm(alice)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(dave, oak)
    await offer(dave, oak, "Ladder", neighbours_may_see=False)
    assert await offers_for(await ask(alice, street, "Ladder")) == []


async def test_no_match_with_a_neighbouring_street_when_the_asker_looks_at_their_street_only(alice, dave):
    street = await make_street("Elm Street", ELM_STREET)
    await place_resident(alice, street, looks_at="street")
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(dave, oak)
    lend = await offer(dave, oak, "Ladder")
    assert await offers_for(await ask(alice, street, "Ladder")) == []
    assert await asks_for(lend) == []


async def test_no_match_when_the_offerer_could_not_see_the_ask(alice, dave):
    street = await elm(alice)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(dave, oak, looks_at="street")  # dave sees Oak Road only
    await offer(dave, oak, "Ladder")
    assert await offers_for(await ask(alice, street, "Ladder")) == []


async def test_no_match_for_an_ask_kept_to_its_street_and_a_neighbours_offer(alice, dave):
    street = await elm(alice)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(dave, oak)
    await offer(dave, oak, "Ladder")
    assert await offers_for(await ask(alice, street, "Ladder", neighbours_may_see=False)) == []


# ---------------------------------------------------------------- ranking


async def test_a_closer_neighbour_ranks_first(alice, bob, carol):
    street = await elm(alice, bob, carol)  # bob lives 100 m from alice, carol 200 m
    far = await offer(carol, street, "Ladder")
    near = await offer(bob, street, "Ladder")
    assert await offers_for(await ask(alice, street, "Ladder")) == [near, far]


async def test_a_provider_with_completed_exchanges_ranks_first_and_says_so(alice, bob, carol, dave):
    street = await elm(alice, bob, carol)
    await db.execute("UPDATE resident SET home_lat = $2 WHERE id = $1", carol.id, street.lat + 0.0018)
    await db.execute("UPDATE resident SET home_lat = $2 WHERE id = $1", bob.id, street.lat + 0.0018)
    plain = await offer(bob, street, "Ladder")
    seasoned = await offer(carol, street, "Ladder")
    for _ in range(4):
        await history_exchange(provider=carol, recipient=dave, offer=seasoned, state="completed",
                               completed_at=clock.now())
    await history_exchange(provider=bob, recipient=dave, offer=plain, state="cancelled")
    ladder = await ask(alice, street, "Ladder")
    ranking = await queries.rank_offers_for_ask(ladder)
    assert [r.offer for r in ranking.top] == [seasoned, plain]
    assert ranking.top[0].reasons[-1].text == "completed 4 exchanges"
    assert all(r.kind != "record" for r in ranking.top[1].reasons)


async def test_an_offer_matched_from_either_side_gets_the_same_score(alice, bob):
    street = await elm(alice, bob)
    lend = await offer(bob, street, "Vacuum cleaner", category="home")
    hoover = await ask(alice, street, "Hoover", category="home")
    from_ask = (await queries.rank_offers_for_ask(hoover)).top
    from_offer = (await queries.rank_asks_for_offer(lend)).top
    assert from_ask[0].score == from_offer[0].score
    assert [r.text for r in from_ask[0].reasons] == [r.text for r in from_offer[0].reasons]
    assert from_ask[0].reasons[0].text == "hoover ≈ vacuum cleaner"


async def test_reasons_quote_the_askers_own_words(alice, bob):
    street = await elm(alice, bob)
    await offer(bob, street, "Gutter cleaning brush")
    gutters = await ask(alice, street, "Brush for the gutters")
    top = (await queries.rank_offers_for_ask(gutters)).top
    assert "both mention gutters" in [r.text for r in top[0].reasons]


# ---------------------------------------------------------------- storing, telling, dismissing


async def test_matching_an_ask_stores_its_matches_once(alice, bob, carol):
    street = await elm(alice, bob, carol)
    await offer(bob, street, "Extending ladder")
    await offer(carol, street, "Stepladder")
    ladder = await ask(alice, street, "Ladder")
    first = await service.match_ask(ladder)
    again = await service.match_ask(ladder)
    assert len(first) == 2 and {s.id for s in first} == {s.id for s in again}
    assert await db.fetchval("SELECT count(*) FROM match WHERE ask = $1", ladder) == 2
    rows = await db.fetch("SELECT score, reasons FROM match WHERE ask = $1 ORDER BY score DESC", ladder)
    assert all(row["score"] > 0 for row in rows)
    assert "ladder ≈ stepladder" in rows[0]["reasons"] and "both mention ladder" in rows[1]["reasons"]


async def test_a_new_offer_finds_the_open_asks_it_could_meet(alice, bob, carol):
    street = await elm(alice, bob, carol)
    ladder = await ask(alice, street, "Ladder for the gutters")
    drill = await ask(carol, street, "Drill")
    lend = await offer(bob, street, "Extending ladder")
    stored = await service.match_offer(lend)
    assert [s.ask for s in stored] == [ladder]
    assert drill not in [s.ask for s in stored]


async def test_each_neighbour_hears_once_per_run_however_many_matches(alice, bob, carol):
    street = await elm(alice, bob, carol)
    await offer(bob, street, "Extending ladder")
    await offer(bob, street, "Stepladder")
    await offer(carol, street, "Ladder")
    ladder = await ask(alice, street, "Ladder")
    await service.match_ask(ladder)
    assert await notifications(alice) == ["2 neighbours could help with “Ladder”"]
    assert await notifications(bob) == ["A neighbour needs things you offer"]
    assert await notifications(carol) == ["A neighbour needs something your “Ladder” could help with"]
    assert await db.fetchval("SELECT count(*) FROM match WHERE notified_at IS NULL") == 0


async def test_nobody_hears_twice_about_the_same_match(alice, bob):
    street = await elm(alice, bob)
    lend = await offer(bob, street, "Ladder")
    ladder = await ask(alice, street, "Ladder")
    await service.match_ask(ladder)
    await service.match_ask(ladder)
    await service.match_offer(lend)
    assert len(await notifications(alice)) == 1
    assert len(await notifications(bob)) == 1


async def test_a_match_that_no_longer_fits_is_removed_when_matched_again(alice, bob):
    street = await elm(alice, bob)
    lend = await offer(bob, street, "Ladder")
    ladder = await ask(alice, street, "Ladder")
    await service.match_ask(ladder)
    await db.execute("UPDATE offer SET title = 'Garden chairs', category = 'home' WHERE id = $1", lend)
    await service.match_ask(ladder)
    assert await db.fetchval("SELECT count(*) FROM match") == 0


async def test_the_asker_dismisses_a_match_and_it_stays_dismissed(alice, bob):
    street = await elm(alice, bob)
    lend = await offer(bob, street, "Ladder")
    ladder = await ask(alice, street, "Ladder")
    [stored] = await service.match_ask(ladder)
    assert await service.dismiss(stored.id, acting=alice.id) is True
    assert await queries.matches_for_ask(ladder, alice.id) == []
    assert [m.ask_id for m in await queries.matches_for_offer(lend, bob.id)] == [ladder]  # bob still sees it
    await service.match_ask(ladder)
    assert await queries.matches_for_ask(ladder, alice.id) == []


async def test_the_offerer_dismisses_a_match_from_their_offer(alice, bob):
    street = await elm(alice, bob)
    lend = await offer(bob, street, "Ladder")
    ladder = await ask(alice, street, "Ladder")
    [stored] = await service.match_ask(ladder)
    await service.dismiss(stored.id, acting=bob.id)
    assert await queries.matches_for_offer(lend, bob.id) == []
    assert [m.offer_id for m in await queries.matches_for_ask(ladder, alice.id)] == [lend]


async def test_dismissing_twice_changes_nothing(alice, bob):
    street = await elm(alice, bob)
    await offer(bob, street, "Ladder")
    [stored] = await service.match_ask(await ask(alice, street, "Ladder"))
    assert await service.dismiss(stored.id, acting=alice.id) is True
    at = await db.fetchval("SELECT dismissed_by_asker_at FROM match WHERE id = $1", stored.id)
    assert await service.dismiss(stored.id, acting=alice.id) is False
    assert await db.fetchval("SELECT dismissed_by_asker_at FROM match WHERE id = $1", stored.id) == at


async def test_someone_else_cannot_dismiss_a_match(alice, bob, carol):
    street = await elm(alice, bob, carol)
    await offer(bob, street, "Ladder")
    [stored] = await service.match_ask(await ask(alice, street, "Ladder"))
    with pytest.raises(NotFound):
        await service.dismiss(stored.id, acting=carol.id)
    with pytest.raises(NotFound):
        await service.dismiss(stored.id + 1000, acting=alice.id)


# ---------------------------------------------------------------- reading stored matches


async def test_an_offer_paused_after_matching_drops_out_of_the_list(alice, bob):
    street = await elm(alice, bob)
    lend = await offer(bob, street, "Ladder")
    ladder = await ask(alice, street, "Ladder")
    await service.match_ask(ladder)
    await db.execute("UPDATE offer SET status = 'paused' WHERE id = $1", lend)
    assert await queries.matches_for_ask(ladder, alice.id) == []


async def test_another_neighbour_sees_only_the_matches_in_their_own_scope_with_their_own_distance(alice, bob, dave):
    street = await elm(alice, bob)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(dave, oak)
    near = await offer(bob, street, "Ladder")
    kept = await offer(bob, street, "Extending ladder", neighbours_may_see=False)
    ladder = await ask(alice, street, "Ladder")
    await service.match_ask(ladder)
    assert {m.offer_id for m in await queries.matches_for_ask(ladder, alice.id)} == {near, kept}
    seen_by_dave = await queries.matches_for_ask(ladder, dave.id)
    assert [m.offer_id for m in seen_by_dave] == [near]
    assert seen_by_dave[0].distance_m % 100 == 0 and seen_by_dave[0].distance_m >= 800
    assert any(text.endswith("km away") or text.endswith("m away") for text in seen_by_dave[0].reasons)
    assert "about 100 m away" not in seen_by_dave[0].reasons  # that is alice's distance, not dave's


async def test_only_the_owner_reads_an_offers_matches(alice, bob, carol):
    street = await elm(alice, bob, carol)
    lend = await offer(bob, street, "Ladder")
    await service.match_ask(await ask(alice, street, "Ladder"))
    assert len(await queries.matches_for_offer(lend, bob.id)) == 1
    assert await queries.matches_for_offer(lend, carol.id) == []


# ---------------------------------------------------------------- in the worker


async def test_matching_is_requested_as_a_job_and_runs_in_the_worker(alice, bob, tmp_path):
    street = await elm(alice, bob)
    lend = await offer(bob, street, "Ladder")
    ladder = await ask(alice, street, "Ladder")
    await service.request_matching("ask", ladder)
    await service.request_matching("offer", lend)
    assert await db.fetchval("SELECT count(*) FROM match") == 0  # nothing happens in the request
    assert [j.kind for j in await jobs.queue.pending()] == ["match_ask", "match_offer"]
    ctx = jobs.JobContext.of(Settings(mode="development", secret_key="k" * 40, base_url="http://t", data_dir=tmp_path))
    assert await jobs.run_ready(ctx) == 3  # the two match jobs, and bob's immediate email about alice's new ask
    assert await db.fetchval("SELECT count(*) FROM match") == 1
    assert len(await notifications(alice)) == 1


async def test_only_asks_and_offers_can_be_matched():
    with pytest.raises(ValueError):
        await service.request_matching("exchange", 1)


async def test_pausing_and_resuming_an_offer_does_not_tell_anyone_twice(alice, bob):
    street = await elm(alice, bob)
    lend = await offer(bob, street, "Ladder")
    await service.match_offer(lend)
    await db.execute("UPDATE offer SET status = 'paused' WHERE id = $1", lend)
    await service.match_offer(lend)
    await db.execute("UPDATE offer SET status = 'active' WHERE id = $1", lend)
    await service.match_offer(lend)
    assert await notifications(alice) == []  # no ask yet
    ladder = await ask(alice, street, "Ladder")
    await service.match_ask(ladder)
    await db.execute("UPDATE offer SET status = 'paused' WHERE id = $1", lend)
    await service.match_offer(lend)
    await db.execute("UPDATE offer SET status = 'active' WHERE id = $1", lend)
    await service.match_offer(lend)
    assert len(await notifications(alice)) == 1 and len(await notifications(bob)) == 1


async def test_posting_an_ask_or_an_offer_queues_matching_for_the_worker_not_the_request(alice, bob):
    from streetshare.asks import service as asks
    from streetshare.offers import service as offers

    await elm(alice, bob)
    offer_id = await offers.create_offer(acting=alice.id, fields={
        "kind": "lend", "title": "Hedge trimmer", "description": "Electric", "category": "garden",
        "loan_days": "7", "neighbours_may_see": "on"})
    ask_id = await asks.create_ask(acting=bob.id, fields={
        "title": "Someone to cut back my hedge", "description": "", "category": "garden", "help_kind": "skill",
        "neighbours_may_see": "on"})

    queued = await db.fetch("SELECT kind, payload FROM job WHERE done_at IS NULL ORDER BY id")
    assert [(j["kind"], json.loads(j["payload"])) for j in queued][-2:] == [
        ("match_offer", {"id": offer_id}), ("match_ask", {"id": ask_id})]
    assert await db.fetchval("SELECT count(*) FROM match") == 0  # nothing matched during the request
