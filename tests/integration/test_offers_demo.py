"""The demo: every demo street has a lively mix of offers and asks, some with photos, made once."""

from __future__ import annotations

from streetshare import db
from streetshare.asks.demo import ASKS_PER_STREET, seed_asks
from streetshare.offers.demo import seed_offers
from streetshare.places.demo import seed_places


async def test_each_demo_street_gets_a_dozen_offers_of_all_kinds_and_half_a_dozen_asks(settings):
    await seed_places(settings)
    made_offers = await seed_offers(settings)
    made_asks = await seed_asks(settings)
    streets = await db.fetch("SELECT id, name FROM street ORDER BY id")
    assert len(streets) >= 3
    for street in streets:
        offers = await db.fetch("SELECT kind, title, slots FROM offer WHERE street = $1", street["id"])
        asks = await db.fetch("SELECT title FROM ask WHERE street = $1", street["id"])
        assert {o["kind"] for o in offers} == {"lend", "give", "skill", "time"}, street["name"]
        assert len(asks) == ASKS_PER_STREET >= 6
        assert "Someone to cut back my hedge" in {a["title"] for a in asks}
        titles = " | ".join(o["title"] for o in offers).lower()
        assert "mow" in titles and "garden help on saturdays" in titles, street["name"]
        if street["name"] != "Elm Street":  # the exchanges demo brings Elm Street its own ladder, trimmer, tip run
            assert len(offers) >= 12
            assert "ladder" in titles and "hedge trimmer" in titles
            assert ("Tip run Saturday 10:00 \u2014 room for 3 bags", 3) in {(o["title"], o["slots"]) for o in offers}
    neighbours = await db.fetch("SELECT array_agg(title ORDER BY title) AS titles FROM offer GROUP BY street")
    assert len({tuple(n["titles"]) for n in neighbours}) == len(neighbours)  # each street reads differently
    photos = await db.fetch("SELECT sha256 FROM photo")
    assert photos and all((settings.uploads_dir / p["sha256"][:2] / f"{p['sha256']}-thumb.jpg").exists() for p in photos)
    assert made_offers > 0 and made_asks > 0
    assert await seed_offers(settings) == 0  # idempotent
    assert await seed_asks(settings) == 0


async def test_demo_skips_quietly_when_there_are_no_streets_yet(settings):
    assert await seed_offers(settings) == 0
    assert await seed_asks(settings) == 0
