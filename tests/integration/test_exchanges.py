"""Exchanges on the real database: every verb's happy path, its repeated or illegal use, and the wrong person.

alice lends and gives on Elm Street, bob borrows, carol is another neighbour, dave lives across town.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from support.cast import (ELM_STREET, LEEDS, OAK_ROAD, insert_ask, insert_offer, make_street, place_resident,
                         quick_resident)

from streetshare import clock, db
from streetshare.errors import Conflict, IllegalTransition, Invalid, NotAllowed, NotFound
from streetshare.exchanges import queries, service

MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


# The cast, without spending argon2's deliberate seconds on each of them in every test.
@pytest.fixture
async def elm(alice, bob, carol, dave):
    street = await make_street("Elm Street", ELM_STREET)
    for person in (alice, bob, carol):
        await place_resident(person, street)
    await place_resident(dave, await make_street("Leeds Road", LEEDS))
    return street


@pytest.fixture
async def ladder(alice, elm) -> int:
    return await insert_offer(alice, elm, kind="lend", title="Ladder", loan_days=5)


async def state_of(exchange_id: int) -> str:
    return await db.fetchval("SELECT state FROM exchange WHERE id = $1", exchange_id)


async def actions_of(exchange_id: int) -> list[tuple[str, int | None]]:
    rows = await db.fetch("SELECT action, actor FROM exchange_event WHERE exchange = $1 ORDER BY id", exchange_id)
    return [(r["action"], r["actor"]) for r in rows]


async def borrowed(ladder, alice, bob, *, handed_over: bool = True) -> int:
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    await service.accept(ex, acting=alice.id)
    if handed_over:
        await service.hand_over(ex, acting=alice.id)
    return ex


# ---------------------------------------------------------------- request an offer


async def test_neighbour_asks_to_borrow_a_lend_offer_with_dates(ladder, alice, bob):
    with clock.frozen_at(MONDAY):
        moved = await service.request_offer(ladder, acting=bob.id, message="For the gutters, please",
                                            wanted_from=date(2026, 12, 8), due_back=date(2026, 12, 10))
    assert moved.state == "requested"
    row = await db.fetchrow("SELECT * FROM exchange WHERE id = $1", moved.id)
    assert (row["provider"], row["recipient"], row["started_by"], row["offer_kind"]) == (alice.id, bob.id, "recipient", "lend")
    assert (row["wanted_from"], row["due_back"], row["message"]) == (date(2026, 12, 8), date(2026, 12, 10), "For the gutters, please")
    assert await actions_of(moved.id) == [("request", bob.id)]


async def test_cannot_request_own_offer(ladder, alice):
    with pytest.raises(NotAllowed, match="your own offer"):
        await service.request_offer(ladder, acting=alice.id)


async def test_resident_across_town_cannot_request_an_offer(ladder, dave):
    with pytest.raises(NotFound):
        await service.request_offer(ladder, acting=dave.id)


async def test_neighbouring_street_can_request_only_when_the_offer_allows_neighbours(alice, carol, elm):
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(carol, oak)
    open_to_neighbours = await insert_offer(alice, elm, neighbours_may_see=True)
    street_only = await insert_offer(alice, elm, neighbours_may_see=False)
    assert (await service.request_offer(open_to_neighbours, acting=carol.id)).state == "requested"
    with pytest.raises(NotFound):
        await service.request_offer(street_only, acting=carol.id)


async def test_resident_without_a_street_cannot_request(ladder):
    eve = await quick_resident("Eve")
    with pytest.raises(NotFound):
        await service.request_offer(ladder, acting=eve.id)


@pytest.mark.parametrize(("status", "message"), [("paused", "paused"), ("gone", "already gone"), ("withdrawn", "withdrawn")])
async def test_cannot_request_an_offer_that_is_not_active(alice, bob, elm, status, message):
    offer = await insert_offer(alice, elm, status=status)
    with pytest.raises(Conflict, match=message):
        await service.request_offer(offer, acting=bob.id)
    assert await db.fetchval("SELECT count(*) FROM exchange") == 0


async def test_cannot_request_a_hidden_offer(ladder, bob):
    await db.execute("UPDATE offer SET hidden_at = now() WHERE id = $1", ladder)
    with pytest.raises(NotFound):
        await service.request_offer(ladder, acting=bob.id)


async def test_blocked_resident_cannot_request(ladder, alice, bob):
    await db.execute("INSERT INTO resident_block (blocker, blocked) VALUES ($1, $2)", alice.id, bob.id)
    with pytest.raises(NotFound):
        await service.request_offer(ladder, acting=bob.id)


async def test_one_open_request_per_person_per_offer(ladder, bob):
    await service.request_offer(ladder, acting=bob.id)
    with pytest.raises(Conflict, match="already asked"):
        await service.request_offer(ladder, acting=bob.id)


async def test_can_ask_again_once_the_last_request_ended(ladder, alice, bob):
    first = await service.request_offer(ladder, acting=bob.id)
    await service.decline(first.id, acting=alice.id)
    assert (await service.request_offer(ladder, acting=bob.id)).id != first.id


async def test_cannot_request_an_offer_that_does_not_exist(bob, elm):
    with pytest.raises(NotFound):
        await service.request_offer(9999, acting=bob.id)


@pytest.mark.parametrize(
    ("wanted_from", "due_back", "field"),
    [(date(2026, 12, 1), None, "wanted_from"), (date(2026, 12, 9), date(2026, 12, 8), "due_back"),
     (None, date(2027, 6, 1), "due_back")],
)
async def test_loan_dates_must_make_sense(ladder, bob, wanted_from, due_back, field):
    with clock.frozen_at(MONDAY), pytest.raises(Invalid) as refused:
        await service.request_offer(ladder, acting=bob.id, wanted_from=wanted_from, due_back=due_back)
    assert field in refused.value.errors


async def test_message_too_long_is_refused(ladder, bob):
    with pytest.raises(Invalid) as refused:
        await service.request_offer(ladder, acting=bob.id, message="x" * 1001)
    assert "message" in refused.value.errors


async def test_a_time_offer_that_already_happened_cannot_be_booked(alice, bob, elm):
    tip_run = await insert_offer(alice, elm, kind="time", slots=3, category="lifts_errands")
    await db.execute("UPDATE offer SET starts_at = $2 WHERE id = $1", tip_run, clock.now() - timedelta(days=1))
    with pytest.raises(Conflict, match="already happened"):
        await service.request_offer(tip_run, acting=bob.id)


async def test_request_notifies_the_provider(ladder, alice, bob):
    moved = await service.request_offer(ladder, acting=bob.id)
    row = await db.fetchrow("SELECT resident, kind, actor, exchange, text, url FROM notification")
    assert dict(row) == {"resident": alice.id, "kind": "request_received", "actor": bob.id, "exchange": moved.id,
                         "text": "Bob would like to borrow your Ladder.", "url": f"/exchanges/{moved.id}"}


async def test_each_transition_notifies_the_other_side(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob)
    await service.mark_returned(ex, acting=bob.id)
    await service.confirm_return(ex, acting=alice.id)
    rows = await db.fetch("SELECT resident, kind FROM notification ORDER BY id")
    assert [(r["resident"], r["kind"]) for r in rows] == [
        (alice.id, "request_received"), (bob.id, "accepted"), (bob.id, "handed_over"), (alice.id, "returned"),
        (bob.id, "completed")]


# ---------------------------------------------------------------- offer help with an ask


async def test_neighbour_offers_help_with_an_ask(alice, bob, elm):
    ask = await insert_ask(bob, elm, help_kind="borrow", title="A ladder for Saturday")
    moved = await service.offer_help(ask, acting=alice.id, message="I have one")
    row = await db.fetchrow("SELECT * FROM exchange WHERE id = $1", moved.id)
    assert (row["provider"], row["recipient"], row["started_by"], row["offer_kind"], row["ask"], row["offer"]) == \
        (alice.id, bob.id, "provider", "lend", ask, None)
    assert await actions_of(moved.id) == [("offer_help", alice.id)]


async def test_helper_can_name_one_of_their_offers(ladder, alice, bob, elm):
    ask = await insert_ask(bob, elm, help_kind="borrow")
    moved = await service.offer_help(ask, acting=alice.id, offer_id=ladder)
    assert await db.fetchval("SELECT offer FROM exchange WHERE id = $1", moved.id) == ladder


async def test_helper_cannot_name_someone_elses_offer(ladder, bob, carol, elm):
    ask = await insert_ask(bob, elm)
    with pytest.raises(Invalid) as refused:
        await service.offer_help(ask, acting=carol.id, offer_id=ladder)
    assert "offer_id" in refused.value.errors


async def test_cannot_offer_help_with_own_ask(bob, elm):
    ask = await insert_ask(bob, elm)
    with pytest.raises(NotAllowed):
        await service.offer_help(ask, acting=bob.id)


async def test_cannot_offer_help_with_a_closed_ask(alice, bob, elm):
    ask = await insert_ask(bob, elm, status="fulfilled")
    with pytest.raises(Conflict):
        await service.offer_help(ask, acting=alice.id)


async def test_resident_across_town_cannot_offer_help(bob, dave, elm):
    ask = await insert_ask(bob, elm)
    with pytest.raises(NotFound):
        await service.offer_help(ask, acting=dave.id)


async def test_one_open_offer_of_help_per_helper_per_ask(alice, bob, elm):
    ask = await insert_ask(bob, elm)
    await service.offer_help(ask, acting=alice.id)
    with pytest.raises(Conflict, match="already offered"):
        await service.offer_help(ask, acting=alice.id)


async def test_the_asker_accepts_an_offer_of_help_and_the_ask_is_fulfilled_when_done(alice, bob, elm):
    ask = await insert_ask(bob, elm, help_kind="skill", title="Fix my bike")
    ex = (await service.offer_help(ask, acting=alice.id)).id
    with pytest.raises(IllegalTransition, match="your own request"):
        await service.accept(ex, acting=alice.id)
    assert (await service.accept(ex, acting=bob.id)).state == "accepted"
    assert (await service.complete(ex, acting=bob.id)).state == "completed"
    assert await db.fetchval("SELECT status FROM ask WHERE id = $1", ask) == "fulfilled"


# ---------------------------------------------------------------- accept


async def test_provider_accepts_requested_exchange(ladder, alice, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    assert (await service.accept(ex, acting=alice.id)).state == "accepted"
    row = await db.fetchrow("SELECT state, accepted_at FROM exchange WHERE id = $1", ex)
    assert row["state"] == "accepted" and row["accepted_at"] is not None
    assert await actions_of(ex) == [("request", bob.id), ("accept", alice.id)]


async def test_cannot_accept_exchange_twice(ladder, alice, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    await service.accept(ex, acting=alice.id)
    with pytest.raises(IllegalTransition, match="already been accepted"):
        await service.accept(ex, acting=alice.id)


async def test_recipient_cannot_accept_own_request(ladder, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    with pytest.raises(IllegalTransition, match="can't accept your own request"):
        await service.accept(ex, acting=bob.id)
    assert await state_of(ex) == "requested"


async def test_stranger_cannot_accept_and_learns_nothing(ladder, bob, carol):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    with pytest.raises(NotFound):
        await service.accept(ex, acting=carol.id)


async def test_a_lend_offer_already_out_cannot_be_lent_again(ladder, alice, bob, carol):
    first = (await service.request_offer(ladder, acting=bob.id)).id
    second = (await service.request_offer(ladder, acting=carol.id)).id
    await service.accept(first, acting=alice.id)
    with pytest.raises(Conflict, match="already lent out"):
        await service.accept(second, acting=alice.id)
    assert await state_of(second) == "requested"


async def test_a_lend_offer_can_be_lent_again_once_it_is_back(ladder, alice, bob, carol):
    first = await borrowed(ladder, alice, bob)
    second = (await service.request_offer(ladder, acting=carol.id)).id
    await service.confirm_return(first, acting=alice.id)
    assert (await service.accept(second, acting=alice.id)).state == "accepted"


async def test_cannot_accept_a_request_for_a_withdrawn_offer(ladder, alice, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    await db.execute("UPDATE offer SET status = 'withdrawn' WHERE id = $1", ladder)
    with pytest.raises(Conflict, match="withdrawn"):
        await service.accept(ex, acting=alice.id)


async def test_a_time_offer_takes_as_many_as_its_slots(alice, bob, carol, dave, elm):
    await place_resident(dave, elm)
    tip_run = await insert_offer(alice, elm, kind="time", slots=2, title="Tip run", category="lifts_errands")
    exchanges = [(await service.request_offer(tip_run, acting=p.id)).id for p in (bob, carol, dave)]
    await service.accept(exchanges[0], acting=alice.id)
    await service.accept(exchanges[1], acting=alice.id)
    with pytest.raises(Conflict, match="places are taken"):
        await service.accept(exchanges[2], acting=alice.id)


# ---------------------------------------------------------------- give-aways: the giver chooses


async def test_giver_chooses_and_the_others_are_declined_kindly(alice, bob, carol, dave, elm):
    await place_resident(dave, elm)
    cot = await insert_offer(alice, elm, kind="give", title="Cot", category="children")
    asked = {p.display_name: (await service.request_offer(cot, acting=p.id)).id for p in (bob, carol, dave)}
    await service.accept(asked["Carol"], acting=alice.id)
    assert await state_of(asked["Carol"]) == "accepted"
    for name in ("Bob", "Dave"):
        assert await state_of(asked[name]) == "declined"
        event = await db.fetchrow("SELECT actor, note FROM exchange_event WHERE exchange = $1 AND action = 'decline'",
                                  asked[name])
        assert event["actor"] is None and "another neighbour" in event["note"]


async def test_nobody_can_ask_for_a_give_away_once_the_giver_has_chosen(alice, bob, carol, elm):
    cot = await insert_offer(alice, elm, kind="give")
    await service.accept((await service.request_offer(cot, acting=bob.id)).id, acting=alice.id)
    with pytest.raises(Conflict, match="already chosen"):
        await service.request_offer(cot, acting=carol.id)


async def test_giver_sees_each_requesters_private_reliability_hint(ladder, alice, bob, carol, elm):
    await service.confirm_return(await borrowed(ladder, alice, bob), acting=alice.id)
    cot = await insert_offer(alice, elm, kind="give")
    await service.request_offer(cot, acting=bob.id)
    await service.request_offer(cot, acting=carol.id)
    choices = await queries.requests_to_choose_from(cot, alice.id)
    assert [(c.resident.display_name, c.hint.completed) for c in choices] == [("Bob", 1), ("Carol", 0)]
    assert await queries.requests_to_choose_from(cot, bob.id) == []  # only the giver sees them


async def test_completed_give_away_is_gone(alice, bob, elm):
    cot = await insert_offer(alice, elm, kind="give")
    ex = (await service.request_offer(cot, acting=bob.id)).id
    await service.accept(ex, acting=alice.id)
    assert (await service.complete(ex, acting=bob.id)).state == "completed"
    assert await db.fetchval("SELECT status FROM offer WHERE id = $1", cot) == "gone"


# ---------------------------------------------------------------- decline, cancel, withdraw


async def test_provider_declines_with_a_kind_note(ladder, alice, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    assert (await service.decline(ex, acting=alice.id, note="Sorry, it's at my mum's this week")).state == "declined"
    assert await db.fetchval("SELECT note FROM exchange_event WHERE exchange = $1 AND action = 'decline'", ex) == \
        "Sorry, it's at my mum's this week"


async def test_cannot_decline_twice(ladder, alice, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    await service.decline(ex, acting=alice.id)
    with pytest.raises(IllegalTransition, match="already been declined"):
        await service.decline(ex, acting=alice.id)


async def test_requester_cannot_decline_own_request(ladder, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    with pytest.raises(IllegalTransition, match="withdraw it instead"):
        await service.decline(ex, acting=bob.id)


async def test_either_side_cancels_before_hand_over(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob, handed_over=False)
    assert (await service.cancel(ex, acting=bob.id, note="Found one")).state == "cancelled"
    again = await borrowed(ladder, alice, bob, handed_over=False)
    assert (await service.cancel(again, acting=alice.id)).state == "cancelled"


async def test_cannot_cancel_after_hand_over(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob)
    with pytest.raises(IllegalTransition, match="already been handed over"):
        await service.cancel(ex, acting=alice.id)


async def test_stranger_cannot_cancel(ladder, alice, bob, carol):
    ex = await borrowed(ladder, alice, bob, handed_over=False)
    with pytest.raises(NotFound):
        await service.cancel(ex, acting=carol.id)


async def test_requester_withdraws_a_request(ladder, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    assert (await service.withdraw(ex, acting=bob.id)).state == "cancelled"
    assert await actions_of(ex) == [("request", bob.id), ("withdraw", bob.id)]


async def test_cannot_withdraw_an_accepted_request(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob, handed_over=False)
    with pytest.raises(IllegalTransition, match="already been accepted"):
        await service.withdraw(ex, acting=bob.id)


async def test_provider_cannot_withdraw_someone_elses_request(ladder, alice, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    with pytest.raises(IllegalTransition, match="Only the person who asked"):
        await service.withdraw(ex, acting=alice.id)


# ---------------------------------------------------------------- hand over, return, confirm


async def test_lender_hands_over_with_due_back_from_the_offers_loan_days(ladder, alice, bob):
    with clock.frozen_at(MONDAY):
        ex = await borrowed(ladder, alice, bob)
    assert await db.fetchval("SELECT due_back FROM exchange WHERE id = $1", ex) == date(2026, 12, 12)


async def test_hand_over_keeps_the_date_the_borrower_asked_for(ladder, alice, bob):
    with clock.frozen_at(MONDAY):
        ex = (await service.request_offer(ladder, acting=bob.id, due_back=date(2026, 12, 9))).id
        await service.accept(ex, acting=alice.id)
        await service.hand_over(ex, acting=alice.id)
    assert await db.fetchval("SELECT due_back FROM exchange WHERE id = $1", ex) == date(2026, 12, 9)


async def test_lender_can_set_the_due_back_date_when_handing_over(ladder, alice, bob):
    with clock.frozen_at(MONDAY):
        ex = await borrowed(ladder, alice, bob, handed_over=False)
        await service.hand_over(ex, acting=alice.id, due_back=date(2026, 12, 20))
    assert await db.fetchval("SELECT due_back FROM exchange WHERE id = $1", ex) == date(2026, 12, 20)


async def test_due_back_in_the_past_is_refused_and_nothing_changes(ladder, alice, bob):
    with clock.frozen_at(MONDAY):
        ex = await borrowed(ladder, alice, bob, handed_over=False)
        with pytest.raises(Invalid) as refused:
            await service.hand_over(ex, acting=alice.id, due_back=date(2026, 12, 1))
    assert "due_back" in refused.value.errors
    assert await state_of(ex) == "accepted"


async def test_cannot_hand_over_before_accepting(ladder, alice, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    with pytest.raises(IllegalTransition, match="has to be accepted"):
        await service.hand_over(ex, acting=alice.id)


async def test_give_away_is_not_handed_over(alice, bob, elm):
    cot = await insert_offer(alice, elm, kind="give")
    ex = (await service.request_offer(cot, acting=bob.id)).id
    await service.accept(ex, acting=alice.id)
    with pytest.raises(IllegalTransition, match="Only loans"):
        await service.hand_over(ex, acting=alice.id)


async def test_borrower_cannot_mark_it_handed_over(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob, handed_over=False)
    with pytest.raises(IllegalTransition, match="Only the lender"):
        await service.hand_over(ex, acting=bob.id)


async def test_borrower_marks_it_returned(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob)
    assert (await service.mark_returned(ex, acting=bob.id)).state == "returned"
    assert await db.fetchval("SELECT returned_at FROM exchange WHERE id = $1", ex) is not None


async def test_cannot_mark_it_returned_twice(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob)
    await service.mark_returned(ex, acting=bob.id)
    with pytest.raises(IllegalTransition, match="already been marked as returned"):
        await service.mark_returned(ex, acting=bob.id)


async def test_lender_cannot_mark_it_returned_for_the_borrower(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob)
    with pytest.raises(IllegalTransition, match="Only the borrower"):
        await service.mark_returned(ex, acting=alice.id)


async def test_lender_confirms_the_return_and_the_loan_is_complete(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob)
    await service.mark_returned(ex, acting=bob.id)
    assert (await service.confirm_return(ex, acting=alice.id)).state == "completed"
    assert await actions_of(ex) == [("request", bob.id), ("accept", alice.id), ("hand_over", alice.id),
                                    ("mark_returned", bob.id), ("confirm_return", alice.id)]
    assert await db.fetchval("SELECT status FROM offer WHERE id = $1", ladder) == "active"


async def test_lender_can_confirm_the_return_when_the_borrower_forgot_to_say(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob)
    assert (await service.confirm_return(ex, acting=alice.id)).state == "completed"
    assert await db.fetchval("SELECT returned_at FROM exchange WHERE id = $1", ex) is not None


async def test_cannot_confirm_the_return_of_something_never_handed_over(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob, handed_over=False)
    with pytest.raises(IllegalTransition, match="hasn't been handed over"):
        await service.confirm_return(ex, acting=alice.id)


async def test_borrower_cannot_confirm_the_return(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob)
    await service.mark_returned(ex, acting=bob.id)
    with pytest.raises(IllegalTransition, match="Only the lender"):
        await service.confirm_return(ex, acting=bob.id)


# ---------------------------------------------------------------- complete (give, skill, time)


@pytest.mark.parametrize("who", ["alice", "bob"])
async def test_either_party_marks_a_skill_exchange_done(alice, bob, elm, who):
    help_ = await insert_offer(alice, elm, kind="skill", category="tech_help")
    ex = (await service.request_offer(help_, acting=bob.id)).id
    await service.accept(ex, acting=alice.id)
    person = {"alice": alice, "bob": bob}[who]
    assert (await service.complete(ex, acting=person.id)).state == "completed"


async def test_cannot_complete_twice(alice, bob, elm):
    help_ = await insert_offer(alice, elm, kind="skill")
    ex = (await service.request_offer(help_, acting=bob.id)).id
    await service.accept(ex, acting=alice.id)
    await service.complete(ex, acting=alice.id)
    with pytest.raises(IllegalTransition, match="already complete"):
        await service.complete(ex, acting=bob.id)


async def test_a_loan_is_not_marked_done(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob, handed_over=False)
    with pytest.raises(IllegalTransition, match="lender confirms"):
        await service.complete(ex, acting=alice.id)


async def test_stranger_cannot_complete(alice, bob, carol, elm):
    help_ = await insert_offer(alice, elm, kind="skill")
    ex = (await service.request_offer(help_, acting=bob.id)).id
    await service.accept(ex, acting=alice.id)
    with pytest.raises(NotFound):
        await service.complete(ex, acting=carol.id)


# ---------------------------------------------------------------- more time


async def test_borrower_asks_for_more_time_and_the_lender_agrees(ladder, alice, bob):
    with clock.frozen_at(MONDAY):
        ex = await borrowed(ladder, alice, bob)  # due 12 December
        await service.request_more_time(ex, acting=bob.id, until=date(2026, 12, 15), note="Still painting")
        view = await queries.exchange_for(ex, alice.id)
        assert view.extension_requested_until == date(2026, 12, 15)
        assert view.group(alice.id, date(2026, 12, 7)) == "needs_answer"
        await service.agree_new_date(ex, acting=alice.id)
    row = await db.fetchrow("SELECT due_back, extension_requested_until FROM exchange WHERE id = $1", ex)
    assert (row["due_back"], row["extension_requested_until"]) == (date(2026, 12, 15), None)
    assert [a for a, _ in await actions_of(ex)][-2:] == ["request_more_time", "agree_new_date"]


async def test_more_time_must_be_after_the_current_date(ladder, alice, bob):
    with clock.frozen_at(MONDAY):
        ex = await borrowed(ladder, alice, bob)
        with pytest.raises(Invalid):
            await service.request_more_time(ex, acting=bob.id, until=date(2026, 12, 12))


async def test_lender_cannot_ask_for_more_time_and_borrower_cannot_set_the_date(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob)
    with pytest.raises(Conflict):
        await service.request_more_time(ex, acting=alice.id, until=date.today() + timedelta(days=30))
    with pytest.raises(Conflict):
        await service.agree_new_date(ex, acting=bob.id, due_back=date.today() + timedelta(days=30))


async def test_no_more_time_before_hand_over(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob, handed_over=False)
    with pytest.raises(Conflict):
        await service.request_more_time(ex, acting=bob.id, until=date.today() + timedelta(days=30))


# ---------------------------------------------------------------- pickup address


async def test_provider_shares_the_pickup_address_with_one_tap(ladder, alice, bob):
    await db.execute("UPDATE resident SET home_address = '4 Elm Street' WHERE id = $1", alice.id)
    ex = await borrowed(ladder, alice, bob, handed_over=False)
    await service.share_pickup_address(ex, acting=alice.id)
    assert (await queries.exchange_for(ex, bob.id)).pickup_address == "4 Elm Street"
    # the address never goes into the timeline
    assert not await db.fetchval("SELECT count(*) FROM exchange_event WHERE note LIKE '%Elm%'")


async def test_provider_can_type_another_pickup_address(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob, handed_over=False)
    with pytest.raises(Invalid):  # no home address on file and nothing typed
        await service.share_pickup_address(ex, acting=alice.id)
    await service.share_pickup_address(ex, acting=alice.id, address="The garage behind no. 4")
    assert (await queries.exchange_for(ex, bob.id)).pickup_address == "The garage behind no. 4"


async def test_pickup_address_is_hidden_again_when_the_exchange_ends(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob)
    await service.share_pickup_address(ex, acting=alice.id, address="4 Elm Street")
    await service.confirm_return(ex, acting=alice.id)
    row = await db.fetchrow("SELECT pickup_address, pickup_shared_at FROM exchange WHERE id = $1", ex)
    assert (row["pickup_address"], row["pickup_shared_at"]) == (None, None)


async def test_the_database_refuses_a_pickup_address_on_an_ended_exchange(ladder, alice, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    await service.decline(ex, acting=alice.id)
    with pytest.raises(asyncpg.CheckViolationError):
        await db.execute("UPDATE exchange SET pickup_address = 'x' WHERE id = $1", ex)


async def test_recipient_cannot_share_a_pickup_address_and_not_before_acceptance(ladder, alice, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    with pytest.raises(Conflict):
        await service.share_pickup_address(ex, acting=alice.id, address="4 Elm Street")
    await service.accept(ex, acting=alice.id)
    with pytest.raises(Conflict):
        await service.share_pickup_address(ex, acting=bob.id, address="Bob's house")


# ---------------------------------------------------------------- messages


async def test_parties_talk_in_the_thread_once_accepted(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob, handed_over=False)
    await service.post_message(ex, acting=bob.id, text="When suits you?")
    await service.post_message(ex, acting=alice.id, text="After six")
    assert [(m.author.display_name, m.text) for m in await queries.messages(ex)] == \
        [("Bob", "When suits you?"), ("Alice", "After six")]


async def test_no_messages_before_acceptance_or_after_the_end(ladder, alice, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    with pytest.raises(Conflict):
        await service.post_message(ex, acting=bob.id, text="Hello?")
    await service.decline(ex, acting=alice.id)
    with pytest.raises(Conflict):
        await service.post_message(ex, acting=alice.id, text="Sorry")


async def test_stranger_cannot_post_in_the_thread(ladder, alice, bob, carol):
    ex = await borrowed(ladder, alice, bob, handed_over=False)
    with pytest.raises(NotFound):
        await service.post_message(ex, acting=carol.id, text="Hi")


async def test_empty_message_is_refused(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob, handed_over=False)
    with pytest.raises(Invalid):
        await service.post_message(ex, acting=bob.id, text="   ")


# ---------------------------------------------------------------- the event log


async def test_a_refused_transition_writes_no_event(ladder, alice, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    before = await actions_of(ex)
    for attempt in (service.accept(ex, acting=bob.id), service.hand_over(ex, acting=alice.id),
                    service.confirm_return(ex, acting=alice.id), service.complete(ex, acting=alice.id)):
        with pytest.raises(IllegalTransition):
            await attempt
    assert await actions_of(ex) == before
    assert await state_of(ex) == "requested"


async def test_a_transition_that_fails_half_way_keeps_neither_state_nor_event(ladder, alice, bob, monkeypatch):
    ex = (await service.request_offer(ladder, acting=bob.id)).id

    async def broken_notify(*args, **kwargs):
        raise RuntimeError("notification table on fire")

    monkeypatch.setattr(service, "_notify", broken_notify)
    with pytest.raises(RuntimeError):
        await service.accept(ex, acting=alice.id)
    assert await state_of(ex) == "requested"
    assert await actions_of(ex) == [("request", bob.id)]


async def test_the_event_log_is_append_only_in_the_database(ladder, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await db.execute("UPDATE exchange_event SET note = 'rewritten' WHERE exchange = $1", ex)
    with pytest.raises(asyncpg.PostgresError, match="append-only"):
        await db.execute("DELETE FROM exchange_event WHERE exchange = $1", ex)
    assert await actions_of(ex) == [("request", bob.id)]


async def test_events_are_listed_with_who_and_when(ladder, alice, bob):
    ex = await borrowed(ladder, alice, bob, handed_over=False)
    events = await queries.events(ex)
    assert [(e.action, e.actor.display_name, e.from_state, e.to_state) for e in events] == [
        ("request", "Bob", None, "requested"), ("accept", "Alice", "requested", "accepted")]


# ---------------------------------------------------------------- expiry and overdue (the clock moves)


async def test_unanswered_request_expires_after_14_days(ladder, bob):
    with clock.frozen_at(MONDAY):
        ex = (await service.request_offer(ladder, acting=bob.id)).id
    assert await service.expire_stale_requests(MONDAY + timedelta(days=13, hours=23)) == 0
    assert await state_of(ex) == "requested"
    with clock.frozen_at(MONDAY + timedelta(days=14)):
        assert await service.expire_stale_requests() == 1
    assert await state_of(ex) == "expired"
    event = await db.fetchrow("SELECT actor, action, note FROM exchange_event WHERE exchange = $1 ORDER BY id DESC", ex)
    assert (event["actor"], event["action"]) == (None, "expire")
    assert await service.expire_stale_requests(MONDAY + timedelta(days=30)) == 0  # idempotent


async def test_answered_requests_never_expire(ladder, alice, bob):
    with clock.frozen_at(MONDAY):
        ex = await borrowed(ladder, alice, bob, handed_over=False)
    assert await service.expire_stale_requests(MONDAY + timedelta(days=60)) == 0
    assert await state_of(ex) == "accepted"


async def test_a_loan_is_overdue_the_day_after_its_due_back_date(ladder, alice, bob):
    with clock.frozen_at(MONDAY):
        ex = await borrowed(ladder, alice, bob)  # due Saturday 12 December
    friday = MONDAY + timedelta(days=4)
    assert [r.exchange_id for r in await queries.loans_due_tomorrow(friday)] == [ex]
    assert await queries.overdue_loans(friday) == []
    saturday = friday + timedelta(days=1)
    assert await queries.loans_due_tomorrow(saturday) == []
    assert await queries.overdue_loans(saturday) == []
    sunday = saturday + timedelta(days=1)
    [late] = await queries.overdue_loans(sunday)
    assert (late.exchange_id, late.days_overdue, late.overdue_reminder_due) == (ex, 1, True)
    [late] = await queries.overdue_loans(sunday + timedelta(days=3))
    assert late.overdue_reminder_due is False
    [late] = await queries.overdue_loans(sunday + timedelta(days=7))
    assert late.overdue_reminder_due is True  # weekly after
    assert await queries.overdue_loans(sunday, provider_id=bob.id) == []  # a lender sees their own
    with clock.frozen_at(sunday):
        assert (await queries.my_exchanges_grouped(alice.id, date(2026, 12, 13)))["overdue"][0].id == ex


async def test_my_exchanges_are_grouped(ladder, alice, bob, carol, elm):
    cot = await insert_offer(alice, elm, kind="give")
    asked = (await service.request_offer(cot, acting=bob.id)).id
    lent = await borrowed(ladder, alice, carol)
    done = (await service.request_offer(await insert_offer(carol, elm, kind="skill"), acting=alice.id)).id
    await service.decline(done, acting=carol.id)
    today = date.today()
    alices = await queries.my_exchanges_grouped(alice.id, today)
    assert [[e.id for e in alices[g]] for g in queries.GROUPS] == [[asked], [], [lent], [done]]
    bobs = await queries.my_exchanges_grouped(bob.id, today)
    assert [[e.id for e in bobs[g]] for g in queries.GROUPS] == [[], [], [asked], []]


async def test_exchange_is_visible_to_its_parties_only(ladder, alice, bob, carol):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    assert (await queries.exchange_for(ex, alice.id)).title == "Ladder"
    assert (await queries.exchange_for(ex, bob.id)).title == "Ladder"
    assert await queries.exchange_for(ex, carol.id) is None


# ---------------------------------------------------------------- the database holds the invariants itself


async def test_the_database_refuses_a_second_live_loan_of_one_item(ladder, alice, bob, carol):
    first = (await service.request_offer(ladder, acting=bob.id)).id
    second = (await service.request_offer(ladder, acting=carol.id)).id
    await service.accept(first, acting=alice.id)
    with pytest.raises(asyncpg.UniqueViolationError, match="exchange_lend_one_live"):
        await db.execute("UPDATE exchange SET state = 'accepted' WHERE id = $1", second)


async def test_the_database_refuses_a_second_completion_of_a_give_away(alice, bob, carol, elm):
    cot = await insert_offer(alice, elm, kind="give")
    ids = [(await service.request_offer(cot, acting=p.id)).id for p in (bob, carol)]
    await db.execute("UPDATE exchange SET state = 'completed' WHERE id = $1", ids[0])
    with pytest.raises(asyncpg.UniqueViolationError):
        await db.execute("UPDATE exchange SET state = 'completed' WHERE id = $1", ids[1])


async def test_the_database_refuses_more_live_bookings_than_slots(alice, bob, carol, elm):
    tip_run = await insert_offer(alice, elm, kind="time", slots=1, category="lifts_errands")
    ids = [(await service.request_offer(tip_run, acting=p.id)).id for p in (bob, carol)]
    await db.execute("UPDATE exchange SET state = 'accepted' WHERE id = $1", ids[0])
    with pytest.raises(asyncpg.CheckViolationError, match="no free slot"):
        await db.execute("UPDATE exchange SET state = 'accepted' WHERE id = $1", ids[1])


async def test_reliability_hint_counts_completed_exchanges(ladder, alice, bob, carol):
    await service.confirm_return(await borrowed(ladder, alice, bob), acting=alice.id)
    assert (await queries.reliability_hint(bob.id)).completed == 1
    assert (await queries.reliability_hint(alice.id)).completed == 1
    assert (await queries.reliability_hint(carol.id)).completed == 0


async def test_the_worker_expires_stale_requests_as_upkeep(ladder, bob):
    from streetshare import worker

    assert service.expire_stale_requests in worker.UPKEEP
    with clock.frozen_at(MONDAY):
        ex = (await service.request_offer(ladder, acting=bob.id)).id
    with clock.frozen_at(MONDAY + timedelta(days=15)):
        done = await worker.run_upkeep([service.expire_stale_requests])
    assert done == {"expire_stale_requests": 1}
    assert await state_of(ex) == "expired"
    assert await db.fetchval("SELECT kind FROM notification WHERE exchange = $1 ORDER BY id DESC LIMIT 1", ex) == "declined"


async def test_offer_and_ask_pages_learn_about_open_exchanges(ladder, alice, bob, carol, elm):
    assert await queries.offer_panel(ladder, bob.id) == queries.OfferPanel(None, 0)
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    await service.request_offer(ladder, acting=carol.id)
    assert await queries.offer_panel(ladder, bob.id) == queries.OfferPanel(ex, 0)
    assert await queries.offer_panel(ladder, alice.id) == queries.OfferPanel(None, 2)
    ask = await insert_ask(bob, elm)
    assert await queries.my_open_help(ask, alice.id) is None
    helped = (await service.offer_help(ask, acting=alice.id)).id
    assert await queries.my_open_help(ask, alice.id) == helped
