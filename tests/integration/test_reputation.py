"""Reputation on the real database: the public figures, the private reliability hint, and who sees a profile.

alice lends on Elm Street, bob borrows, carol coordinates Elm Street, dave lives in Leeds, olive on Oak Road
(Elm Street's neighbour).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from support.cast import (ELM_STREET, LEEDS, OAK_ROAD, block, history_exchange, insert_ask, insert_offer, make_street,
                         place_resident, quick_resident)

from streetshare import clock, db
from streetshare.exchanges import queries as exchange_queries
from streetshare.exchanges import service as exchanges
from streetshare.reputation import queries, service
from streetshare.reputation.rules import ReliabilityHint, Reputation

MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def day(n: float, hour: int = 10) -> datetime:
    """`n` days after Monday 7 December 2026, at `hour` UTC (London is on UTC in December)."""
    return MONDAY.replace(hour=hour) + timedelta(days=n)


@pytest.fixture
async def olive():
    return await quick_resident("Olive")


@pytest.fixture
async def elm(alice, bob, carol, dave, olive):
    street = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    for person in (alice, bob):
        await place_resident(person, street)
    await place_resident(dave, await make_street("Leeds Road", LEEDS))
    await place_resident(olive, await make_street("Oak Road", OAK_ROAD), looks_at="nearby")
    return street


async def loan(offer: int, lender, borrower, *, start: float, due: date, back: float | None, confirm: float | None = None,
               marked: bool = True) -> int:
    """A loan requested on day `start`, handed over then, due on `due`, given back on day `back`
    (the borrower says so unless `marked` is False) and confirmed on day `confirm` (default: when back)."""
    with clock.frozen_at(day(start)):
        ex = (await exchanges.request_offer(offer, acting=borrower.id)).id
        await exchanges.accept(ex, acting=lender.id)
        await exchanges.hand_over(ex, acting=lender.id, due_back=due)
    if back is not None:
        if marked:
            with clock.frozen_at(day(back)):
                await exchanges.mark_returned(ex, acting=borrower.id)
        with clock.frozen_at(day(confirm if confirm is not None else back)):
            await exchanges.confirm_return(ex, acting=lender.id)
    return ex


async def given(offer: int, giver, receiver, *, on: float = 0) -> int:
    with clock.frozen_at(day(on)):
        ex = (await exchanges.request_offer(offer, acting=receiver.id)).id
        await exchanges.accept(ex, acting=giver.id)
        await exchanges.complete(ex, acting=receiver.id)
    return ex


# ---------------------------------------------------------------- the public figures


async def test_only_completed_exchanges_count_on_each_side(alice, bob, elm):
    ladder = await insert_offer(alice, elm, kind="lend", title="Ladder")
    drill = await insert_offer(alice, elm, kind="lend", title="Drill")
    tent = await insert_offer(bob, elm, kind="give", title="Tent")
    await loan(ladder, alice, bob, start=0, due=day(3).date(), back=2)
    with clock.frozen_at(day(5)):
        cancelled = (await exchanges.request_offer(drill, acting=bob.id)).id
        await exchanges.accept(cancelled, acting=alice.id)
        await exchanges.cancel(cancelled, acting=bob.id)
        await exchanges.request_offer(ladder, acting=bob.id)  # still waiting
    await given(tent, bob, alice, on=6)
    assert await queries.reputation_of(alice.id) == Reputation(provided=1, received=1, thanks=0, on_time_returns=0,
                                                               loans_returned=0)
    assert await queries.reputation_of(bob.id) == Reputation(provided=1, received=1, thanks=0, on_time_returns=1,
                                                             loans_returned=1)


async def test_loans_returned_on_time_counts_returns_on_or_before_the_due_day(alice, bob, elm):
    ladder = await insert_offer(alice, elm, kind="lend", title="Ladder")
    wed = day(2).date()
    await loan(ladder, alice, bob, start=0, due=wed, back=2.4)  # on the due day, in the evening: on time
    await loan(ladder, alice, bob, start=3, due=day(5).date(), back=7)  # two days late
    await loan(ladder, alice, bob, start=8, due=day(9).date(), back=8.5, confirm=12)  # back early, confirmed late
    await loan(ladder, alice, bob, start=13, due=day(14).date(), back=None, marked=False)  # still out
    assert (await queries.reputation_of(bob.id)).on_time_returns == 2
    assert (await queries.reputation_of(bob.id)).loans_returned == 3


async def test_a_new_return_date_agreed_by_the_lender_is_the_one_that_counts(alice, bob, elm):
    ladder = await insert_offer(alice, elm, kind="lend", title="Ladder")
    ex = await loan(ladder, alice, bob, start=0, due=day(2).date(), back=None)
    with clock.frozen_at(day(1)):
        await exchanges.request_more_time(ex, acting=bob.id, until=day(6).date())
        await exchanges.agree_new_date(ex, acting=alice.id)
    with clock.frozen_at(day(5)):
        await exchanges.mark_returned(ex, acting=bob.id)
        await exchanges.confirm_return(ex, acting=alice.id)
    rep = await queries.reputation_of(bob.id)
    assert (rep.on_time_returns, rep.loans_returned) == (1, 1)


async def test_when_the_lender_confirms_without_the_borrower_saying_so_the_confirmation_is_the_return(alice, bob, elm):
    ladder = await insert_offer(alice, elm, kind="lend", title="Ladder")
    await loan(ladder, alice, bob, start=0, due=day(2).date(), back=4, marked=False)
    rep = await queries.reputation_of(bob.id)
    assert (rep.on_time_returns, rep.loans_returned) == (0, 1)


async def test_on_time_is_judged_by_the_day_in_london_not_utc(alice, bob, elm):
    ladder = await insert_offer(alice, elm, kind="lend", title="Ladder")
    june = datetime(2027, 6, 10, 9, 0, tzinfo=UTC)
    with clock.frozen_at(june - timedelta(days=2)):
        ex = (await exchanges.request_offer(ladder, acting=bob.id)).id
        await exchanges.accept(ex, acting=alice.id)
        await exchanges.hand_over(ex, acting=alice.id, due_back=date(2027, 6, 10))
    with clock.frozen_at(datetime(2027, 6, 10, 23, 30, tzinfo=UTC)):  # 00:30 on the 11th in London (BST)
        await exchanges.mark_returned(ex, acting=bob.id)
        await exchanges.confirm_return(ex, acting=alice.id)
    assert (await queries.reputation_of(bob.id)).on_time_returns == 0


async def test_thanks_received_newest_first_without_hidden_ones(alice, bob, carol, elm):
    ladder = await insert_offer(alice, elm, kind="lend", title="Ladder")
    first = await loan(ladder, alice, bob, start=0, due=day(3).date(), back=1)
    second = await loan(ladder, alice, carol, start=4, due=day(7).date(), back=5)
    third = await loan(ladder, alice, bob, start=8, due=day(10).date(), back=9)
    with clock.frozen_at(day(1.5)):
        await service.say_thanks(first, "First, thanks!", acting=bob.id)
    with clock.frozen_at(day(5.5)):
        hidden = await service.say_thanks(second, "Something unkind", acting=carol.id)
    with clock.frozen_at(day(9.5)):
        await service.say_thanks(third, "Again, thanks!", acting=bob.id)
        await service.say_thanks(third, "Bob is lovely", acting=alice.id)
    await db.execute("UPDATE thanks SET hidden_at = now(), hidden_reason = 'Not kind' WHERE id = $1", hidden)
    notes = await queries.thanks_received(alice.id)
    assert [(n.author.display_name, n.text) for n in notes] == [("Bob", "Again, thanks!"), ("Bob", "First, thanks!")]
    assert (await queries.reputation_of(alice.id)).thanks == 2
    assert [n.text for n in await queries.thanks_received(bob.id)] == ["Bob is lovely"]


# ---------------------------------------------------------------- the private hint


async def test_hint_counts_cancellations_after_accepting_by_the_one_who_cancelled(alice, bob, elm):
    ladder = await insert_offer(alice, elm, kind="lend", title="Ladder")
    drill = await insert_offer(alice, elm, kind="lend", title="Drill")
    with clock.frozen_at(day(0)):
        ex = (await exchanges.request_offer(ladder, acting=bob.id)).id
        await exchanges.accept(ex, acting=alice.id)
        await exchanges.cancel(ex, acting=bob.id)  # bob cancels after alice said yes: counts for bob
        ex = (await exchanges.request_offer(drill, acting=bob.id)).id
        await exchanges.cancel(ex, acting=bob.id)  # before any yes: doesn't count
        ex = (await exchanges.request_offer(drill, acting=bob.id)).id
        await exchanges.withdraw(ex, acting=bob.id)  # taken back: doesn't count
        ex = (await exchanges.request_offer(ladder, acting=bob.id)).id
        await exchanges.accept(ex, acting=alice.id)
        await exchanges.cancel(ex, acting=alice.id)  # alice cancels: counts for alice
    with clock.frozen_at(day(1)):
        hints = await queries.reliability_hints([bob.id, alice.id])
    assert hints[bob.id] == ReliabilityHint(completed=0, cancelled_after_accepting=1)
    assert hints[alice.id] == ReliabilityHint(completed=0, cancelled_after_accepting=1)


async def test_hint_forgets_what_is_older_than_six_months(alice, bob, elm):
    ladder = await insert_offer(alice, elm, kind="lend", title="Ladder")
    with clock.frozen_at(day(0)):
        ex = (await exchanges.request_offer(ladder, acting=bob.id)).id
        await exchanges.accept(ex, acting=alice.id)
        await exchanges.cancel(ex, acting=bob.id)
    await loan(ladder, alice, bob, start=1, due=day(2).date(), back=6)  # late
    assert await queries.reliability_hint(bob.id, day(30)) == ReliabilityHint(1, 1, 1, 0)
    assert await queries.reliability_hint(bob.id, day(200)) == ReliabilityHint(completed=1)


async def test_hint_counts_late_returns_and_a_loan_still_out_past_its_day(alice, bob, elm):
    ladder = await insert_offer(alice, elm, kind="lend", title="Ladder")
    drill = await insert_offer(alice, elm, kind="lend", title="Drill")
    await loan(ladder, alice, bob, start=0, due=day(2).date(), back=2)  # on time
    await loan(ladder, alice, bob, start=3, due=day(4).date(), back=6)  # late
    await loan(ladder, alice, bob, start=7, due=day(8).date(), back=9, marked=False)  # late, confirmed by the lender
    await loan(drill, alice, bob, start=10, due=day(12).date(), back=None)  # out, due on day 12
    assert (await queries.reliability_hint(bob.id, day(12))).late_returns == 2  # due today: not late yet
    assert (await queries.reliability_hint(bob.id, day(13))).late_returns == 3
    assert (await queries.reliability_hint(alice.id, day(13))).late_returns == 0  # the lender is never late


async def test_hint_counts_requests_left_unanswered_by_the_answering_side(alice, bob, elm):
    ladder = await insert_offer(alice, elm, kind="lend", title="Ladder")
    ask = await insert_ask(alice, elm, help_kind="skill", title="Help with a CV")
    with clock.frozen_at(day(0)):
        await exchanges.request_offer(ladder, acting=bob.id)  # alice must answer
        await exchanges.offer_help(ask, acting=bob.id)  # alice must answer
    with clock.frozen_at(day(15)):
        assert await exchanges.expire_stale_requests() == 2
    hints = await queries.reliability_hints([alice.id, bob.id], day(16))
    assert hints[alice.id].unanswered_requests == 2
    assert hints[bob.id].unanswered_requests == 0


async def test_hint_counts_requests_to_the_recipient_they_never_answered(alice, bob, elm):
    ask = await insert_ask(bob, elm, help_kind="borrow", title="Ladder please")
    with clock.frozen_at(day(0)):
        await exchanges.offer_help(ask, acting=alice.id)  # bob asked, alice offers: bob must answer
    with clock.frozen_at(day(15)):
        await exchanges.expire_stale_requests()
    hints = await queries.reliability_hints([alice.id, bob.id], day(16))
    assert (hints[alice.id].unanswered_requests, hints[bob.id].unanswered_requests) == (0, 1)


async def test_exchange_pages_get_the_richer_hint_for_the_provider_choosing(alice, bob, carol, elm):
    ladder = await insert_offer(alice, elm, kind="lend", title="Ladder")
    cot = await insert_offer(alice, elm, kind="give", title="Cot")
    await loan(ladder, alice, bob, start=0, due=day(1).date(), back=3)  # late
    with clock.frozen_at(day(4)):
        await exchanges.request_offer(cot, acting=bob.id)
        await exchanges.request_offer(cot, acting=carol.id)
        choices = await exchange_queries.requests_to_choose_from(cot, alice.id)
        assert [(c.resident.display_name, c.hint) for c in choices] == [
            ("Bob", ReliabilityHint(completed=1, late_returns=1)), ("Carol", ReliabilityHint())]
        assert await exchange_queries.reliability_hint(bob.id) == ReliabilityHint(completed=1, late_returns=1)


# ---------------------------------------------------------------- who sees a profile


async def test_residents_who_share_a_street_scope_see_each_others_profile(alice, bob, olive, elm):
    assert (await queries.profile_access(alice.id, bob.id)).visible
    assert (await queries.profile_access(alice.id, alice.id)).visible
    # olive on Oak Road looks at nearby streets: Elm Street is one of them
    assert (await queries.profile_access(alice.id, olive.id)).visible


async def test_a_neighbour_who_looks_at_their_own_street_only_does_not_see_the_next_street(alice, olive, elm):
    await db.execute("UPDATE resident SET looks_at = 'street' WHERE id = $1", olive.id)
    assert not (await queries.profile_access(alice.id, olive.id)).visible


async def test_a_resident_in_a_far_street_sees_no_profile(alice, dave, elm):
    assert not (await queries.profile_access(alice.id, dave.id)).visible
    assert not (await queries.profile_access(dave.id, alice.id)).visible
    assert not (await queries.profile_access(999_999, alice.id)).visible


async def test_blocked_residents_do_not_see_each_others_profile(alice, bob, elm):
    await block(alice, bob)
    assert not (await queries.profile_access(alice.id, bob.id)).visible
    assert not (await queries.profile_access(bob.id, alice.id)).visible


async def test_a_removed_resident_has_no_profile_for_others(alice, bob, elm):
    await db.execute("UPDATE resident SET is_active = false WHERE id = $1", alice.id)
    assert not (await queries.profile_access(alice.id, bob.id)).visible


async def test_someone_who_exchanged_with_them_sees_the_profile_after_moving_away(alice, dave, elm):
    ladder = await insert_offer(alice, elm, kind="lend", title="Ladder")
    await history_exchange(provider=alice, recipient=dave, offer=ladder, state="completed", completed_at=clock.now())
    assert (await queries.profile_access(alice.id, dave.id)).visible
    assert (await queries.profile_access(dave.id, alice.id)).visible


async def test_the_streets_coordinator_sees_the_profile_and_is_known_as_its_coordinator(alice, carol, dave, elm):
    access = await queries.profile_access(alice.id, carol.id)
    assert access.visible and access.coordinates_their_street
    assert not (await queries.profile_access(alice.id, alice.id)).coordinates_their_street
    # a coordinator of Elm Street living elsewhere still looks after its residents
    await db.execute("INSERT INTO street_coordinator (street, resident, appointed_at) VALUES ($1, $2, now())",
                     elm.id, dave.id)
    access = await queries.profile_access(alice.id, dave.id)
    assert access.visible and access.coordinates_their_street


async def test_profile_shows_street_member_since_and_the_met_in_person_badge(alice, carol, elm):
    from streetshare.coordinators import service as coordinators

    found = await queries.profile(alice.id)
    assert (found.display_name, found.street_name, found.met_in_person) == ("Alice", "Elm Street", False)
    await coordinators.mark_met_in_person(elm.id, alice.id, acting=carol.id)
    assert (await queries.profile(alice.id)).met_in_person


async def test_the_profile_carries_no_private_details():
    fields = {f.name for f in dataclasses.fields(queries.Profile)}
    assert not fields & {"email", "home_lat", "home_lng", "home_address", "hint", "reliability"}
