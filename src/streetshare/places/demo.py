"""Demo places: three streets close together in Huddersfield, one a little further out, one in Leeds.

So that scoping can be seen: Elm Street, Oak Road and Ash Grove are neighbours (centres
within a mile); Lidget Street in Lindley is in the same town but too far to be a neighbour;
Park Row is in Leeds. Every demo resident has a stored home (no geocoding: the demo works
offline). Idempotent: whatever exists already is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from streetshare import clock, db
from streetshare.places import queries, service
from streetshare.places.geocoding import FAKE_PLACES
from streetshare.settings import Settings

# An invite link for Elm Street that always works in the demo: /join/elm-street-demo
DEMO_INVITE_CODE = "elm-street-demo"


@dataclass(frozen=True)
class DemoStreet:
    name: str
    centre: str  # a FAKE_PLACES key
    founder: str  # a demo resident's email


@dataclass(frozen=True)
class DemoHome:
    email: str
    display_name: str
    near: str  # a FAKE_PLACES key: the home is a little way from it
    street: str  # the name of their home street
    offset: tuple[float, float] = (0.0006, -0.0004)


def _email(name: str) -> str:
    return f"{name.lower()}@demo.streetshare.local"


STREETS = [
    DemoStreet("Elm Street", "town_centre", _email("Carol")),
    DemoStreet("Oak Road", "hd1_6ef", _email("Priya")),
    DemoStreet("Ash Grove", "greenhead_park", _email("Tom")),
    DemoStreet("Lidget Street", "lindley", _email("Grace")),
    DemoStreet("Park Row", "leeds", _email("Dave")),
]

# The cast (streetshare/demo.py CAST) first, then the neighbours who make the streets lively.
HOMES = [
    DemoHome(_email("Carol"), "Carol", "university", "Elm Street", (0.0004, -0.0006)),
    DemoHome(_email("Alice"), "Alice", "town_hall", "Elm Street", (0.0003, 0.0005)),
    DemoHome(_email("Bob"), "Bob", "high_street_huddersfield", "Elm Street", (-0.0005, -0.0003)),
    DemoHome(_email("Dave"), "Dave", "leeds", "Park Row", (0.0012, 0.0009)),
    DemoHome(_email("Joe"), "Joe", "station", "Elm Street", (0.0008, 0.0002)),
    DemoHome(_email("Priya"), "Priya", "hd1_6ef", "Oak Road", (-0.0007, 0.0004)),
    DemoHome(_email("Sam"), "Sam", "stadium", "Oak Road", (0.0002, -0.0009)),
    DemoHome(_email("Tom"), "Tom", "greenhead_park", "Ash Grove", (0.0006, 0.0006)),
    DemoHome(_email("Mei"), "Mei", "marsh_gledholt", "Ash Grove", (-0.0004, 0.0007)),
    DemoHome(_email("Omar"), "Omar", "paddock", "Ash Grove", (0.0009, -0.0002)),
    DemoHome(_email("Grace"), "Grace", "lindley", "Lidget Street", (-0.0006, 0.0005)),
    DemoHome(_email("Hannah"), "Hannah", "lindley_acre_street", "Lidget Street", (0.0005, -0.0007)),
    DemoHome(_email("Ruth"), "Ruth", "leeds", "Park Row", (-0.0010, -0.0008)),
]


async def seed_places(settings: Settings) -> dict[str, int]:
    """Homes, streets, coordinators and memberships for the demo; returns street ids by name."""
    from streetshare.demo import DemoAccount, ensure_resident

    ids: dict[str, int] = {}
    for home in HOMES:
        resident_id = await ensure_resident(DemoAccount(home.email, home.display_name, "neighbour"))
        ids[home.email] = resident_id
        if not await queries.has_home(resident_id):
            place = FAKE_PLACES[home.near]
            await service.set_home(
                acting=resident_id, lat=place.lat + home.offset[0], lng=place.lng + home.offset[1], address=place.label
            )

    streets: dict[str, int] = {}
    for street in STREETS:
        founder = ids[street.founder]
        existing = await db.fetchval(
            "SELECT id FROM street WHERE name = $1 AND created_by = $2 ORDER BY id LIMIT 1", street.name, founder
        )
        if existing is None:
            centre = FAKE_PLACES[street.centre]
            existing = await service.create_street(
                acting=founder, name=street.name, centre=(centre.lat, centre.lng), secret=settings.secret_key
            )
        streets[street.name] = existing

    for home in HOMES:
        if await queries.home_street(ids[home.email]) is None:
            await service.join_street(acting=ids[home.email], street_id=streets[home.street])

    await db.execute(
        """
        INSERT INTO street_invite (street, code, created_by, created_at)
        VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING
        """,
        streets["Elm Street"],
        DEMO_INVITE_CODE,
        ids[_email("Carol")],
        clock.now(),
    )
    return streets
