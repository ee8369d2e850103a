"""Ask verbs on the real database: ask, edit, withdraw, fulfil, expire, remind, renew; who may do each."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from support.cast import LEEDS, block, make_ask, make_resident, make_street, place_resident

from streetshare import clock, db
from streetshare.asks import queries, service
from streetshare.errors import IllegalTransition, Invalid, NotAllowed, NotFound

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def elm(alice, bob, dave):
    elm = await make_street("Elm Street")
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    await place_resident(dave, await make_street("Leeds Lane", LEEDS))
    return elm


async def row(ask_id: int):
    return await db.fetchrow("SELECT status, expires_at, needed_by, reminded_at FROM ask WHERE id = $1", ask_id)


async def test_an_ask_is_open_on_the_owners_street_for_30_days(elm, alice):
    with clock.frozen_at(T0):
        ask_id = await make_ask(alice, title="Someone to cut back my hedge", category="garden", help_kind="skill")
    found = await row(ask_id)
    assert (found["status"], found["expires_at"]) == ("open", T0 + timedelta(days=30))
    assert await db.fetchval("SELECT street FROM ask WHERE id = $1", ask_id) == elm.id


async def test_an_ask_with_a_date_expires_after_that_day(elm, alice):
    with clock.frozen_at(T0):
        ask_id = await make_ask(alice, needed_by="2026-12-05")
    assert (await row(ask_id))["expires_at"] == datetime(2026, 12, 6, tzinfo=UTC)


async def test_an_ask_needs_a_title_and_a_date_in_the_future(elm, alice):
    with clock.frozen_at(T0), pytest.raises(Invalid) as refused:
        await make_ask(alice, title="", needed_by="2026-11-01")
    assert set(refused.value.errors) == {"title", "needed_by"}
    assert await db.fetchval("SELECT count(*) FROM ask") == 0


async def test_resident_without_a_street_is_asked_to_set_their_home():
    erin = await make_resident("Erin")
    with pytest.raises(Invalid) as refused:
        await make_ask(erin)
    assert "street" in refused.value.errors


async def test_owner_edits_and_a_new_date_moves_the_expiry(elm, alice):
    with clock.frozen_at(T0):
        ask_id = await make_ask(alice)
        await service.update_ask(ask_id, acting=alice.id, changes={"title": "A tall ladder, please",
                                                                   "needed_by": "2026-12-10"})
    found = await row(ask_id)
    assert (found["needed_by"], found["expires_at"]) == (date(2026, 12, 10), datetime(2026, 12, 11, tzinfo=UTC))


async def test_someone_else_cannot_edit_or_withdraw_an_ask(elm, alice, bob, dave):
    ask_id = await make_ask(alice)
    with pytest.raises(NotAllowed):
        await service.update_ask(ask_id, acting=bob.id, changes={"title": "Mine now"})
    with pytest.raises(NotAllowed):
        await service.withdraw_ask(ask_id, acting=bob.id)
    with pytest.raises(NotFound):
        await service.renew_ask(ask_id, acting=dave.id)
    assert (await row(ask_id))["status"] == "open"


async def test_owner_withdraws_and_cannot_withdraw_twice(elm, alice):
    ask_id = await make_ask(alice)
    assert await service.withdraw_ask(ask_id, acting=alice.id) == "withdrawn"
    with pytest.raises(IllegalTransition):
        await service.withdraw_ask(ask_id, acting=alice.id)
    with pytest.raises(IllegalTransition):
        await service.renew_ask(ask_id, acting=alice.id)


async def test_owner_says_it_is_sorted_and_an_exchange_can_say_so_too(elm, alice):
    mine = await make_ask(alice, title="Need a drill")
    assert await service.fulfil_ask(mine, acting=alice.id) == "fulfilled"
    with pytest.raises(IllegalTransition):
        await service.fulfil_ask(mine, acting=alice.id)
    other = await make_ask(alice, title="Need a ladder")
    await service.mark_fulfilled(other)
    assert (await row(other))["status"] == "fulfilled"


async def test_asks_expire_when_their_time_is_up_and_only_then(elm, alice, bob):
    with clock.frozen_at(T0):
        month = await make_ask(alice, title="Need a drill")
        dated = await make_ask(bob, title="Need a ladder", needed_by="2026-12-03")
    assert await service.expire_asks(T0 + timedelta(days=2)) == []
    assert await service.expire_asks(T0 + timedelta(days=3)) == [dated]
    assert await service.expire_asks(T0 + timedelta(days=3)) == []  # idempotent
    assert await service.expire_asks(T0 + timedelta(days=30)) == [month]
    assert (await row(month))["status"] == "expired"


async def test_the_upkeep_task_expires_due_asks(elm, alice):
    with clock.frozen_at(T0):
        await make_ask(alice)
    with clock.frozen_at(T0 + timedelta(days=31)):
        assert await service.expire_due_asks() == 1


async def test_renewing_an_expired_ask_opens_it_for_30_more_days(elm, alice):
    with clock.frozen_at(T0):
        ask_id = await make_ask(alice, needed_by="2026-12-03")
    later = T0 + timedelta(days=5)
    await service.expire_asks(later)
    with clock.frozen_at(later):
        assert await service.renew_ask(ask_id, acting=alice.id) == later + timedelta(days=30)
    found = await row(ask_id)
    assert (found["status"], found["needed_by"], found["expires_at"]) == ("open", None, later + timedelta(days=30))


async def test_reminder_goes_a_few_days_before_expiry_once(elm, alice):
    from streetshare.notifications import queries as notifications

    with clock.frozen_at(T0):
        ask_id = await make_ask(alice, title="Need a drill")
    assert await queries.asks_due_for_reminder(T0 + timedelta(days=26)) == []
    due = await queries.asks_due_for_reminder(T0 + timedelta(days=27, hours=1))
    assert [d.ask_id for d in due] == [ask_id]
    with clock.frozen_at(T0 + timedelta(days=27, hours=1)):
        assert await service.remind_expiring_asks() == 1
        assert await service.remind_expiring_asks() == 0
    assert (await row(ask_id))["reminded_at"] is not None
    [note] = await db.fetch("SELECT kind, url, text FROM notification WHERE resident = $1", alice.id)
    assert (note["kind"], note["url"]) == ("ask_expiring", f"/asks/{ask_id}")
    assert "Need a drill" in note["text"] and "Renew" in note["text"]
    assert notifications


async def test_renewing_makes_the_ask_due_a_reminder_again(elm, alice):
    with clock.frozen_at(T0):
        ask_id = await make_ask(alice)
    reminded = T0 + timedelta(days=28)
    with clock.frozen_at(reminded):
        await service.remind_expiring_asks()
        await service.renew_ask(ask_id, acting=alice.id)
    assert (await row(ask_id))["reminded_at"] is None
    assert [d.ask_id for d in await queries.asks_due_for_reminder(reminded + timedelta(days=28))] == [ask_id]


async def test_a_short_lived_ask_gets_no_reminder(elm, alice):
    with clock.frozen_at(T0):
        await make_ask(alice, needed_by="2026-12-02")
    assert await queries.asks_due_for_reminder(T0 + timedelta(hours=2)) == []


async def test_nobody_out_of_scope_can_open_an_ask(elm, alice, bob, dave):
    ask_id = await make_ask(alice)
    assert await queries.ask_for_viewer(ask_id, dave.id) is None
    await block(bob, alice)
    assert await queries.ask_for_viewer(ask_id, bob.id) is None
    assert (await queries.ask_for_viewer(ask_id, alice.id)).is_owner


async def test_my_asks_lists_open_ones_first(elm, alice):
    with clock.frozen_at(T0):
        done = await make_ask(alice, title="Done ask")
    with clock.frozen_at(T0 + timedelta(hours=1)):
        await service.fulfil_ask(done, acting=alice.id)
        await make_ask(alice, title="Open ask")
    assert [a.title for a in await queries.asks_of(alice.id)] == ["Open ask", "Done ask"]
