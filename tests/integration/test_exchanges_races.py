"""The exchange invariants under real concurrency: many service calls at once, each in its own
transaction on its own pooled connection (asyncio.gather), repeated for ROUNDS rounds.

- two simultaneous accepts: exactly one succeeds, the other is a Conflict (a 409);
- a lend offer is in at most one live exchange;
- a give offer goes to one person and is completed at most once;
- a time offer with N slots never has more than N live exchanges;
- one open request per person per offer.
"""

from __future__ import annotations

import asyncio
import os

import asyncpg
import pytest
from support.cast import ELM_STREET, insert_offer, make_street, place_resident, quick_resident

from streetshare import db
from streetshare.errors import Conflict
from streetshare.exchanges import service

ROUNDS = int(os.environ.get("EXCHANGE_RACE_ROUNDS", "20"))
CROWD = 8  # concurrent requests per round (the pool has 20 connections)


@pytest.fixture
async def street():
    return await make_street("Elm Street", ELM_STREET)


@pytest.fixture
async def lender(street):
    person = await quick_resident("Alice")
    await place_resident(person, street)
    return person


@pytest.fixture
async def crowd(street):
    people = [await quick_resident(f"Neighbour {i}") for i in range(CROWD)]
    for person in people:
        await place_resident(person, street)
    return people


async def at_once(*calls):
    """Run the calls concurrently; (successes, conflicts). Anything else fails the test."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, Conflict)]
    assert not unexpected, unexpected
    return [r for r in results if not isinstance(r, BaseException)], [r for r in results if isinstance(r, Conflict)]


async def requests_for(offer: int, people) -> list[int]:
    return [(await service.request_offer(offer, acting=p.id)).id for p in people]


async def live_count(offer: int) -> int:
    return await db.fetchval(
        "SELECT count(*) FROM exchange WHERE offer = $1 AND state IN ('accepted', 'handed_over', 'returned')", offer
    )


async def test_two_simultaneous_accepts_give_one_success_and_one_conflict(street, lender, crowd):
    for round_ in range(ROUNDS):
        offer = await insert_offer(lender, street, kind="lend", title=f"Ladder {round_}")
        [ex] = await requests_for(offer, crowd[:1])
        won, lost = await at_once(service.accept(ex, acting=lender.id), service.accept(ex, acting=lender.id))
        assert (len(won), len(lost)) == (1, 1), f"round {round_}"
        assert lost[0].message == "This exchange has already been accepted."
        assert await db.fetchval(
            "SELECT count(*) FROM exchange_event WHERE exchange = $1 AND action = 'accept'", ex) == 1


async def test_a_lend_offer_is_in_at_most_one_live_exchange(street, lender, crowd):
    for round_ in range(ROUNDS):
        offer = await insert_offer(lender, street, kind="lend", title=f"Drill {round_}")
        exchanges = await requests_for(offer, crowd)
        won, lost = await at_once(*(service.accept(ex, acting=lender.id) for ex in exchanges))
        assert (len(won), len(lost)) == (1, CROWD - 1), f"round {round_}"
        assert await live_count(offer) == 1
        assert {c.message for c in lost} == {"It's already lent out. It can be lent again once it's back."}


async def test_a_give_away_goes_to_one_person_and_completes_once(street, lender, crowd):
    for round_ in range(ROUNDS):
        offer = await insert_offer(lender, street, kind="give", title=f"Cot {round_}")
        exchanges = await requests_for(offer, crowd)
        won, lost = await at_once(*(service.accept(ex, acting=lender.id) for ex in exchanges))
        assert (len(won), len(lost)) == (1, CROWD - 1), f"round {round_}"
        chosen = won[0].id
        recipient = await db.fetchval("SELECT recipient FROM exchange WHERE id = $1", chosen)
        # both parties press "done" at the same moment, twice each
        won, lost = await at_once(*(service.complete(chosen, acting=who) for who in (lender.id, recipient) * 2))
        assert (len(won), len(lost)) == (1, 3), f"round {round_}"
        states = await db.fetch("SELECT state, count(*) AS n FROM exchange WHERE offer = $1 GROUP BY state", offer)
        assert {r["state"]: r["n"] for r in states} == {"completed": 1, "declined": CROWD - 1}
        assert await db.fetchval("SELECT status FROM offer WHERE id = $1", offer) == "gone"


@pytest.mark.parametrize("slots", [1, 3])
async def test_a_time_offer_never_has_more_live_exchanges_than_slots(street, lender, crowd, slots):
    for round_ in range(ROUNDS):
        offer = await insert_offer(lender, street, kind="time", slots=slots, title=f"Tip run {round_}",
                                   category="lifts_errands")
        exchanges = await requests_for(offer, crowd)
        won, lost = await at_once(*(service.accept(ex, acting=lender.id) for ex in exchanges))
        assert (len(won), len(lost)) == (slots, CROWD - slots), f"round {round_}"
        assert await live_count(offer) == slots


async def test_one_open_request_per_person_even_when_they_tap_many_times(street, lender, crowd):
    for round_ in range(ROUNDS):
        offer = await insert_offer(lender, street, kind="lend", title=f"Saw {round_}")
        won, lost = await at_once(*(service.request_offer(offer, acting=crowd[0].id) for _ in range(CROWD)))
        assert (len(won), len(lost)) == (1, CROWD - 1), f"round {round_}"
        assert await db.fetchval("SELECT count(*) FROM exchange WHERE offer = $1", offer) == 1


async def test_accept_racing_withdraw_leaves_one_consistent_outcome(street, lender, crowd):
    for round_ in range(ROUNDS):
        offer = await insert_offer(lender, street, kind="lend", title=f"Tent {round_}")
        [ex] = await requests_for(offer, crowd[:1])
        won, lost = await at_once(service.accept(ex, acting=lender.id), service.withdraw(ex, acting=crowd[0].id))
        assert (len(won), len(lost)) == (1, 1), f"round {round_}"
        state = await db.fetchval("SELECT state FROM exchange WHERE id = $1", ex)
        assert state == won[0].state
        events = await db.fetchval("SELECT count(*) FROM exchange_event WHERE exchange = $1", ex)
        assert events == 2  # the request and exactly one answer


async def test_the_database_alone_refuses_a_second_live_loan_on_separate_connections(street, lender, crowd):
    """Bypassing the service (no offer lock): two transactions make two requests of one lend offer
    live at once; the partial unique index lets exactly one commit."""
    for round_ in range(ROUNDS):
        offer = await insert_offer(lender, street, kind="lend", title=f"Mower {round_}")
        first, second = await requests_for(offer, crowd[:2])

        async def make_live(exchange_id: int) -> None:
            async with db.transaction():
                await db.execute("UPDATE exchange SET state = 'accepted' WHERE id = $1", exchange_id)
                await asyncio.sleep(0.01)  # hold the transaction open so the two overlap

        results = await asyncio.gather(make_live(first), make_live(second), return_exceptions=True)
        assert sum(r is None for r in results) == 1, f"round {round_}: {results}"
        assert sum(isinstance(r, asyncpg.UniqueViolationError) for r in results) == 1
        assert await live_count(offer) == 1
