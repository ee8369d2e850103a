"""The demo street's exchanges: every state, an overdue loan, a give-away with three requesters; idempotent."""

from __future__ import annotations

from streetshare import db
from streetshare.exchanges import queries
from streetshare.exchanges.demo import seed_exchanges
from streetshare.exchanges.states import State
from streetshare.places.demo import seed_places


async def test_demo_street_has_exchanges_in_every_state(settings):
    await seed_places(settings)
    assert await seed_exchanges() > 0
    states = {r["state"] for r in await db.fetch("SELECT DISTINCT state FROM exchange")}
    assert states == {s.value for s in State}
    from streetshare import clock

    overdue = await queries.overdue_loans(clock.now())
    assert [loan.title for loan in overdue] == ["Ladder, 3 metres"]
    cot = await db.fetchval("SELECT id FROM offer WHERE title = 'Baby cot with mattress'")
    owner = await db.fetchval("SELECT owner FROM offer WHERE id = $1", cot)
    waiting = await queries.requests_to_choose_from(cot, owner)
    assert sorted(r.resident.display_name for r in waiting) == ["Alice", "Bob", "Joe"]
    events_without_a_state_change = await db.fetchval(
        "SELECT count(*) FROM exchange e WHERE NOT EXISTS (SELECT 1 FROM exchange_event v WHERE v.exchange = e.id)")
    assert events_without_a_state_change == 0


async def test_demo_exchanges_are_seeded_once(settings):
    await seed_places(settings)
    await seed_exchanges()
    count = await db.fetchval("SELECT count(*) FROM exchange")
    assert await seed_exchanges() == 0
    assert await db.fetchval("SELECT count(*) FROM exchange") == count


async def test_demo_exchanges_wait_for_the_demo_street(settings):
    assert await seed_exchanges() == 0
    assert await db.fetchval("SELECT count(*) FROM exchange") == 0
