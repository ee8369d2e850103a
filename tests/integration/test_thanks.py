"""Thanks on the real database: one party thanks the other, once, after a completed exchange.

alice lends her ladder on Elm Street, bob borrows it, carol is another neighbour.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from support.cast import ELM_STREET, insert_offer, make_street, place_resident

from streetshare import db
from streetshare.errors import Conflict, IllegalTransition, Invalid, NotFound
from streetshare.exchanges import service as exchanges
from streetshare.reputation import queries, service


@pytest.fixture
async def elm(alice, bob, carol):
    street = await make_street("Elm Street", ELM_STREET)
    for person in (alice, bob, carol):
        await place_resident(person, street)
    return street


@pytest.fixture
async def ladder(alice, elm) -> int:
    return await insert_offer(alice, elm, kind="lend", title="Ladder", loan_days=5)


async def requested(ladder, bob) -> int:
    return (await exchanges.request_offer(ladder, acting=bob.id)).id


async def completed_loan(ladder, alice, bob) -> int:
    ex = await requested(ladder, bob)
    await exchanges.accept(ex, acting=alice.id)
    await exchanges.hand_over(ex, acting=alice.id)
    await exchanges.mark_returned(ex, acting=bob.id)
    await exchanges.confirm_return(ex, acting=alice.id)
    return ex


async def notes_on(exchange_id: int) -> list[tuple[int, int, str]]:
    rows = await db.fetch("SELECT author, recipient, text FROM thanks WHERE exchange = $1 ORDER BY id", exchange_id)
    return [(r["author"], r["recipient"], r["text"]) for r in rows]


# ---------------------------------------------------------------- the happy paths


async def test_borrower_thanks_the_lender_after_a_completed_loan(ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    await service.say_thanks(ex, "  Perfect for the gutters, thank you!  ", acting=bob.id)
    assert await notes_on(ex) == [(bob.id, alice.id, "Perfect for the gutters, thank you!")]


async def test_lender_thanks_the_borrower_too_each_party_once(ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    await service.say_thanks(ex, "Thanks Alice!", acting=bob.id)
    await service.say_thanks(ex, "Brought it back spotless.", acting=alice.id)
    assert await notes_on(ex) == [(bob.id, alice.id, "Thanks Alice!"), (alice.id, bob.id, "Brought it back spotless.")]


async def test_thanks_after_a_completed_give_away_and_help(alice, bob, elm):
    cot = await insert_offer(alice, elm, kind="give", title="Cot")
    ex = (await exchanges.request_offer(cot, acting=bob.id)).id
    await exchanges.accept(ex, acting=alice.id)
    await exchanges.complete(ex, acting=bob.id)
    await service.say_thanks(ex, "Our baby loves it", acting=bob.id)
    assert await notes_on(ex) == [(bob.id, alice.id, "Our baby loves it")]


async def test_the_thanked_party_is_notified(ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    await service.say_thanks(ex, "Perfect, thank you!", acting=bob.id)
    row = await db.fetchrow(
        "SELECT actor, exchange, text, url FROM notification WHERE resident = $1 AND kind = 'thanks_received'", alice.id
    )
    assert row["actor"] == bob.id and row["exchange"] == ex
    assert row["text"] == "Bob says thank you for Ladder: “Perfect, thank you!”"
    assert row["url"] == f"/exchanges/{ex}/thanks"
    assert not await db.fetchval("SELECT 1 FROM notification WHERE resident = $1 AND kind = 'thanks_received'", bob.id)


# ---------------------------------------------------------------- not yet, twice, the wrong person


@pytest.mark.parametrize("stage", ["requested", "accepted", "handed_over", "returned", "declined", "cancelled"])
async def test_cannot_thank_before_the_exchange_is_complete(ladder, alice, bob, stage):
    ex = await requested(ladder, bob)
    steps = {
        "accepted": [lambda: exchanges.accept(ex, acting=alice.id)],
        "handed_over": [lambda: exchanges.accept(ex, acting=alice.id), lambda: exchanges.hand_over(ex, acting=alice.id)],
        "returned": [lambda: exchanges.accept(ex, acting=alice.id), lambda: exchanges.hand_over(ex, acting=alice.id),
                     lambda: exchanges.mark_returned(ex, acting=bob.id)],
        "declined": [lambda: exchanges.decline(ex, acting=alice.id)],
        "cancelled": [lambda: exchanges.accept(ex, acting=alice.id), lambda: exchanges.cancel(ex, acting=bob.id)],
    }.get(stage, [])
    for step in steps:
        await step()
    with pytest.raises(IllegalTransition, match="once the exchange is complete"):
        await service.say_thanks(ex, "Thanks!", acting=bob.id)
    with pytest.raises(IllegalTransition):
        await service.say_thanks(ex, "Thanks!", acting=alice.id)
    assert await notes_on(ex) == []


async def test_cannot_thank_twice_for_the_same_exchange(ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    await service.say_thanks(ex, "Thanks!", acting=bob.id)
    with pytest.raises(Conflict, match="already said thanks"):
        await service.say_thanks(ex, "Thanks again!", acting=bob.id)
    assert await notes_on(ex) == [(bob.id, alice.id, "Thanks!")]


async def test_two_taps_at_once_make_one_thanks(ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    results = await asyncio.gather(*(service.say_thanks(ex, f"Thanks {i}", acting=bob.id) for i in range(4)),
                                   return_exceptions=True)
    assert sum(isinstance(r, int) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, int))
    assert len(await notes_on(ex)) == 1


async def test_someone_who_is_not_a_party_cannot_thank_and_learns_nothing(ladder, alice, bob, carol):
    ex = await completed_loan(ladder, alice, bob)
    with pytest.raises(NotFound):
        await service.say_thanks(ex, "Thanks from me too", acting=carol.id)
    with pytest.raises(NotFound):
        await service.say_thanks(999_999, "Thanks", acting=carol.id)
    assert await notes_on(ex) == []


async def test_a_neighbour_outside_the_exchange_is_told_not_found_before_completion_too(ladder, alice, bob, carol):
    ex = await requested(ladder, bob)
    with pytest.raises(NotFound):
        await service.say_thanks(ex, "Thanks", acting=carol.id)


@pytest.mark.parametrize("text, message", [("", "Write a few words"), ("   ", "Write a few words"),
                                           ("x" * 281, "under 280 characters")])
async def test_thanks_must_be_a_few_words_not_an_essay(ladder, alice, bob, text, message):
    ex = await completed_loan(ladder, alice, bob)
    with pytest.raises(Invalid) as caught:
        await service.say_thanks(ex, text, acting=bob.id)
    assert message in caught.value.errors["text"]
    assert await notes_on(ex) == []


async def test_exactly_280_characters_is_fine(ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    await service.say_thanks(ex, "x" * 280, acting=bob.id)
    assert len((await notes_on(ex))[0][2]) == 280


# ---------------------------------------------------------------- the database holds the rules too


async def test_database_refuses_thanks_on_an_exchange_that_is_not_complete(ladder, alice, bob):
    ex = await requested(ladder, bob)
    with pytest.raises(asyncpg.CheckViolationError) as caught:
        await db.execute("INSERT INTO thanks (exchange, author, recipient, text) VALUES ($1, $2, $3, 'x')",
                         ex, bob.id, alice.id)
    assert caught.value.constraint_name == "thanks_after_completed"


async def test_database_refuses_thanks_from_outside_the_exchange_or_to_the_wrong_person(ladder, alice, bob, carol):
    ex = await completed_loan(ladder, alice, bob)
    for author, recipient in ((carol.id, alice.id), (bob.id, carol.id)):
        with pytest.raises(asyncpg.CheckViolationError) as caught:
            await db.execute("INSERT INTO thanks (exchange, author, recipient, text) VALUES ($1, $2, $3, 'x')",
                             ex, author, recipient)
        assert caught.value.constraint_name == "thanks_between_parties"


async def test_database_refuses_a_second_thanks_from_the_same_party(ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    await db.execute("INSERT INTO thanks (exchange, author, recipient, text) VALUES ($1, $2, $3, 'x')", ex, bob.id, alice.id)
    with pytest.raises(asyncpg.UniqueViolationError):
        await db.execute("INSERT INTO thanks (exchange, author, recipient, text) VALUES ($1, $2, $3, 'y')",
                         ex, bob.id, alice.id)


# ---------------------------------------------------------------- the thanks page's reading


async def test_each_party_sees_what_they_said_and_what_they_were_told(ladder, alice, bob, carol):
    ex = await completed_loan(ladder, alice, bob)
    before = await queries.exchange_thanks(ex, bob.id)
    assert before.can_thank and before.other.display_name == "Alice" and before.title == "Ladder"
    await service.say_thanks(ex, "Thanks Alice!", acting=bob.id)
    bobs = await queries.exchange_thanks(ex, bob.id)
    alices = await queries.exchange_thanks(ex, alice.id)
    assert not bobs.can_thank and bobs.mine.text == "Thanks Alice!" and bobs.theirs is None
    assert alices.can_thank and alices.mine is None and alices.theirs.text == "Thanks Alice!"
    assert await queries.exchange_thanks(ex, carol.id) is None


async def test_nobody_can_thank_on_a_page_before_completion(ladder, alice, bob):
    ex = await requested(ladder, bob)
    assert not (await queries.exchange_thanks(ex, bob.id)).can_thank


# ---------------------------------------------------------------- moderation


async def test_a_coordinator_hides_an_unkind_note_and_it_leaves_the_profile(ladder, alice, bob, carol, elm):
    from streetshare.moderation import service as moderation

    await db.execute("INSERT INTO street_coordinator (street, resident, appointed_at) VALUES ($1, $2, now())",
                     elm.id, carol.id)
    ex = await completed_loan(ladder, alice, bob)
    note = await service.say_thanks(ex, "Took ages to answer", acting=bob.id)
    await moderation.report(acting=alice.id, target_kind="thanks", target_id=note, reason="Not a thanks")
    await moderation.hide(elm.id, "thanks", note, acting=carol.id, reason="Thanks notes are for thanks")
    assert await queries.thanks_received(alice.id) == []
    assert (await queries.reputation_of(alice.id)).thanks == 0
    bobs = await queries.exchange_thanks(ex, bob.id)
    assert bobs.mine.text == "Took ages to answer" and bobs.mine_hidden and not bobs.can_thank
