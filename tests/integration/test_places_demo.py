"""The demo world: streets close together in Huddersfield, one far away in Leeds, residents on each.

Seeding signs up a dozen residents (slow password hashing), so each test checks a whole story.
"""

from __future__ import annotations

from streetshare import db
from streetshare.demo import seed
from streetshare.places import queries
from streetshare.places.demo import DEMO_INVITE_CODE


async def _street(name: str) -> int:
    return await db.fetchval("SELECT id FROM street WHERE name = $1", name)


async def _resident(name: str) -> int:
    return await db.fetchval("SELECT id FROM resident WHERE email = $1", f"{name.lower()}@demo.streetshare.local")


async def test_demo_shows_scoping_with_neighbouring_streets_and_one_far_away(settings):
    await seed(settings)
    elm, oak, ash, park_row = [await _street(n) for n in ("Elm Street", "Oak Road", "Ash Grove", "Park Row")]
    # Three streets close together in Huddersfield; Leeds is nobody's neighbour.
    assert set(await queries.neighbouring_street_ids(elm)) >= {oak, ash}
    assert park_row not in await queries.neighbouring_street_ids(elm)
    assert await queries.neighbouring_street_ids(park_row) == []

    # The cast lives where the stories need them.
    carol, alice, bob, dave = [await _resident(n) for n in ("Carol", "Alice", "Bob", "Dave")]
    assert await queries.is_coordinator(carol, elm)
    assert [(await queries.home_street(r)).id for r in (carol, alice, bob)] == [elm, elm, elm]
    assert (await queries.home_street(dave)).id == park_row
    assert await queries.visible_street_ids(alice) == [elm, *await queries.neighbouring_street_ids(elm)]

    # Every street has residents, every resident a stored home (the demo never geocodes).
    rows = await db.fetch(
        "SELECT s.name, count(r.id) AS members, count(r.home_lat) AS homes "
        "FROM street s LEFT JOIN resident r ON r.street = s.id GROUP BY s.name"
    )
    assert len(rows) >= 4
    assert all(row["members"] >= 2 and row["homes"] == row["members"] for row in rows), rows
    assert await db.fetchval("SELECT count(*) FROM resident") >= 12
    assert await db.fetchval("SELECT count(*) FROM geocode_cache") == 0

    # An invite link that always works in the demo.
    assert (await queries.invite_by_code(DEMO_INVITE_CODE)).street_name == "Elm Street"


async def test_demo_seeding_twice_changes_nothing(settings):
    await seed(settings)
    before = await db.fetch("SELECT id, street, home_lat, home_lng FROM resident ORDER BY id")
    streets = await db.fetchval("SELECT count(*) FROM street")
    await seed(settings)
    assert await db.fetch("SELECT id, street, home_lat, home_lng FROM resident ORDER BY id") == before
    assert await db.fetchval("SELECT count(*) FROM street") == streets
    assert await db.fetchval("SELECT count(*) FROM street_coordinator") == streets
    assert await db.fetchval("SELECT count(*) FROM street_invite") == 1
