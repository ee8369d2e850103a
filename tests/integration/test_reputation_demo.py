"""The demo street's thanks notes: on completed demo exchanges, shown on profiles; seeded once."""

from __future__ import annotations

from streetshare import db
from streetshare.exchanges.demo import seed_exchanges
from streetshare.places.demo import seed_places
from streetshare.reputation import queries
from streetshare.reputation.demo import NOTES, seed_thanks


async def test_demo_thanks_are_on_completed_exchanges_and_on_profiles(settings):
    await seed_places(settings)
    await seed_exchanges()
    assert await seed_thanks() == len(NOTES)
    assert await db.fetchval(
        "SELECT count(*) FROM thanks t JOIN exchange e ON e.id = t.exchange WHERE e.state = 'completed'") == len(NOTES)
    alice = await db.fetchval("SELECT id FROM resident WHERE email = 'alice@demo.streetshare.local'")
    notes = await queries.thanks_received(alice)
    assert [(n.author.display_name, n.text) for n in notes] == [
        ("Carol", "The hedge has never looked so tidy. Thank you, Alice!")]
    rep = await queries.reputation_of(alice)
    assert rep.thanks == 1 and rep.provided >= 1


async def test_demo_thanks_are_seeded_once(settings):
    await seed_places(settings)
    await seed_exchanges()
    await seed_thanks()
    assert await seed_thanks() == 0
    assert await db.fetchval("SELECT count(*) FROM thanks") == len(NOTES)


async def test_demo_thanks_wait_for_the_demo_exchanges(settings):
    assert await seed_thanks() == 0
    assert await db.fetchval("SELECT count(*) FROM thanks") == 0
