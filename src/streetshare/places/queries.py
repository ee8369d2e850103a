"""Reads about streets and where residents live.

PRIVACY: resident.home_lat, home_lng and home_address are only ever selected by `own_home`
(for the resident themself). Everything that renders for someone else computes distances
inside PostgreSQL and returns them rounded (privacy.approx_distance_m), never a point.

Geography runs on the GiST index street_centre_earth (ll_to_earth(centre_lat, centre_lng)):
KNN with `<->` for "nearest streets", earth_box for "streets within a distance".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from streetshare import db
from streetshare.places import rules
from streetshare.places.privacy import approx_distance_m


@dataclass(frozen=True, slots=True)
class NearbyStreet:
    id: int
    name: str
    # Rounded to 100 m (privacy.approx_distance_m): safe to show.
    distance_m: int
    members: int
    radius_m: int
    # Close enough to join without an invite (rules.may_join_directly).
    can_join: bool


@dataclass(frozen=True, slots=True)
class Coordinator:
    id: int
    display_name: str


@dataclass(frozen=True, slots=True)
class StreetSummary:
    id: int
    name: str
    radius_m: int
    members: int
    coordinators: list[Coordinator]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class HomeStreet:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class OwnHome:
    """A resident's own private home: for that resident's eyes only."""

    lat: float | None
    lng: float | None
    address: str | None
    street_id: int | None
    street_name: str | None
    looks_at: str

    @property
    def is_set(self) -> bool:
        return self.lat is not None and self.lng is not None


class StreetScope(NamedTuple):
    """Which streets a resident sees: their home street, and the neighbours they look at.

    neighbour_ids is empty when the resident looks at their street only (or has no street).
    Feeds show neighbours' items only when the item allows it (neighbours_may_see).
    """

    home_street_id: int | None
    neighbour_ids: list[int]


@dataclass(frozen=True, slots=True)
class Invite:
    id: int
    street_id: int
    street_name: str
    code: str
    expires_at: datetime | None
    max_uses: int | None
    uses: int
    revoked_at: datetime | None

    @property
    def state(self) -> rules.InviteState:
        return rules.InviteState(self.expires_at, self.max_uses, self.uses, self.revoked_at)


# The nearest streets to a point, by KNN on the GiST index, then capped by distance.
# $1 lat, $2 lng, $3 limit, $4 max distance in metres.
NEARBY_SQL = """
SELECT near.id, near.name, near.radius_m, near.distance,
       (SELECT count(*) FROM resident r WHERE r.street = near.id AND r.is_active) AS members
FROM (
    SELECT s.id, s.name, s.radius_m,
           earth_distance(ll_to_earth(s.centre_lat, s.centre_lng), ll_to_earth($1, $2)) AS distance
    FROM street s
    WHERE s.archived_at IS NULL
    ORDER BY ll_to_earth(s.centre_lat, s.centre_lng) <-> ll_to_earth($1, $2)
    LIMIT $3
) near
WHERE near.distance <= $4
ORDER BY near.distance, near.id
"""

async def nearby_streets(
    lat: float, lng: float, limit: int = rules.NEARBY_LIMIT, *, max_distance_m: float = rules.NEARBY_MAX_M
) -> list[NearbyStreet]:
    """The streets nearest to a point, nearest first, with rounded distances and member counts."""
    rows = await db.fetch(NEARBY_SQL, lat, lng, limit, max_distance_m)
    return [
        NearbyStreet(
            id=row["id"],
            name=row["name"],
            distance_m=approx_distance_m(row["distance"]),
            members=row["members"],
            radius_m=row["radius_m"],
            can_join=rules.may_join_directly(row["distance"], row["radius_m"]),
        )
        for row in rows
    ]


async def streets_near_home(resident_id: int, limit: int = rules.NEARBY_LIMIT) -> list[NearbyStreet] | None:
    """The streets nearest to a resident's home (None when they haven't said where they live)."""
    home = await db.fetchrow("SELECT home_lat, home_lng FROM resident WHERE id = $1", resident_id)
    if home is None or home["home_lat"] is None or home["home_lng"] is None:
        return None
    return await nearby_streets(home["home_lat"], home["home_lng"], limit)


async def neighbouring_street_ids(street_id: int) -> list[int]:
    """Streets whose centre is within about a mile (rules.NEIGHBOUR_DISTANCE_M) of this street's
    centre, nearest first: stored in street_neighbour when a street is created."""
    rows = await db.fetch(
        "SELECT neighbour FROM street_neighbour WHERE street = $1 ORDER BY distance_m, neighbour", street_id
    )
    return [row["neighbour"] for row in rows]


# SQL: the neighbouring streets resident `r` looks at, nearest first (NULL when they look at
# their own street only). Also read by the feed's viewer query (feed/cache.py).
NEIGHBOURS_OF_R = """CASE WHEN r.looks_at = 'nearby' THEN ARRAY(
           SELECT n.neighbour FROM street_neighbour n WHERE n.street = r.street
           ORDER BY n.distance_m, n.neighbour) END"""

_HOME_AND_SCOPE_SQL = f"""
SELECT r.street, s.name, {NEIGHBOURS_OF_R} AS neighbours
FROM resident r LEFT JOIN street s ON s.id = r.street
WHERE r.id = $1 AND r.is_active
"""


async def home_and_scope(resident_id: int) -> tuple[HomeStreet | None, StreetScope]:
    """The resident's home street and what they see, in one query (the home page needs both)."""
    row = await db.fetchrow(_HOME_AND_SCOPE_SQL, resident_id)
    if row is None or row["street"] is None:
        return None, StreetScope(None, [])
    return HomeStreet(row["street"], row["name"]), StreetScope(row["street"], list(row["neighbours"] or []))


async def street_scope(resident_id: int) -> StreetScope:
    """(home_street_id, neighbour_ids) for the feed: the one scoping query for "what can I see"."""
    return (await home_and_scope(resident_id))[1]


async def visible_street_ids(resident_id: int) -> list[int]:
    """The streets a resident sees: their home street first, then (when they look nearby) its neighbours.

    [] for a resident without a street.
    """
    home, neighbours = await street_scope(resident_id)
    return [] if home is None else [home, *neighbours]


async def is_coordinator(resident_id: int, street_id: int) -> bool:
    return bool(
        await db.fetchval(
            "SELECT 1 FROM street_coordinator WHERE resident = $1 AND street = $2", resident_id, street_id
        )
    )


async def coordinated_street_ids(resident_id: int) -> list[int]:
    rows = await db.fetch(
        "SELECT street FROM street_coordinator WHERE resident = $1 ORDER BY street", resident_id
    )
    return [row["street"] for row in rows]


async def street_summary(street_id: int) -> StreetSummary | None:
    """A street's public face: name, member count, coordinators (display names only)."""
    row = await db.fetchrow(
        """
        SELECT s.id, s.name, s.radius_m, s.created_at,
               (SELECT count(*) FROM resident r WHERE r.street = s.id AND r.is_active) AS members
        FROM street s WHERE s.id = $1
        """,
        street_id,
    )
    if row is None:
        return None
    coordinators = await db.fetch(
        """
        SELECT r.id, r.display_name FROM street_coordinator c JOIN resident r ON r.id = c.resident
        WHERE c.street = $1 AND r.is_active ORDER BY c.appointed_at, r.id
        """,
        street_id,
    )
    return StreetSummary(
        id=row["id"],
        name=row["name"],
        radius_m=row["radius_m"],
        members=row["members"],
        coordinators=[Coordinator(c["id"], c["display_name"]) for c in coordinators],
        created_at=row["created_at"],
    )


async def street_name(street_id: int) -> str | None:
    return await db.fetchval("SELECT name FROM street WHERE id = $1", street_id)


async def street_radius(street_id: int) -> int | None:
    return await db.fetchval("SELECT radius_m FROM street WHERE id = $1", street_id)


async def home_street(resident_id: int) -> HomeStreet | None:
    """The resident's home street ({id, name}), or None."""
    row = await db.fetchrow(
        "SELECT s.id, s.name FROM resident r JOIN street s ON s.id = r.street WHERE r.id = $1", resident_id
    )
    return HomeStreet(row["id"], row["name"]) if row else None


async def has_home(resident_id: int) -> bool:
    """Whether the resident has told us where they live (the answer, never the place)."""
    return bool(
        await db.fetchval(
            "SELECT 1 FROM resident WHERE id = $1 AND home_lat IS NOT NULL AND home_lng IS NOT NULL", resident_id
        )
    )


async def own_home(resident_id: int) -> OwnHome | None:
    """The resident's own home point and address. PRIVATE: only ever render this for `resident_id`."""
    row = await db.fetchrow(
        """
        SELECT r.home_lat, r.home_lng, r.home_address, r.street, r.looks_at, s.name AS street_name
        FROM resident r LEFT JOIN street s ON s.id = r.street WHERE r.id = $1
        """,
        resident_id,
    )
    if row is None:
        return None
    return OwnHome(
        lat=row["home_lat"],
        lng=row["home_lng"],
        address=row["home_address"],
        street_id=row["street"],
        street_name=row["street_name"],
        looks_at=row["looks_at"],
    )


async def home_distance_to_street(resident_id: int, street_id: int) -> float | None:
    """Metres from the resident's home to the street's centre (None without a home or street).

    Exact, for rules (may_join_directly); round it before showing it.
    """
    return await db.fetchval(
        """
        SELECT earth_distance(ll_to_earth(r.home_lat, r.home_lng), ll_to_earth(s.centre_lat, s.centre_lng))
        FROM resident r, street s
        WHERE r.id = $1 AND s.id = $2 AND r.home_lat IS NOT NULL AND r.home_lng IS NOT NULL
        """,
        resident_id,
        street_id,
    )


async def distance_between_residents(a: int, b: int) -> int | None:
    """How far apart two residents live, rounded to 100 m; None when either hasn't said where."""
    meters = await db.fetchval(
        """
        SELECT earth_distance(ll_to_earth(x.home_lat, x.home_lng), ll_to_earth(y.home_lat, y.home_lng))
        FROM resident x, resident y
        WHERE x.id = $1 AND y.id = $2
          AND x.home_lat IS NOT NULL AND x.home_lng IS NOT NULL
          AND y.home_lat IS NOT NULL AND y.home_lng IS NOT NULL
        """,
        a,
        b,
    )
    return None if meters is None else approx_distance_m(meters)


async def same_name_nearby(name: str, lat: float, lng: float, within_m: float = rules.NEIGHBOUR_DISTANCE_M) -> int | None:
    """A street with this name (ignoring case) whose centre is within `within_m` of the point."""
    return await db.fetchval(
        """
        SELECT s.id FROM street s
        WHERE earth_box(ll_to_earth($2, $3), $4) @> ll_to_earth(s.centre_lat, s.centre_lng)
          AND earth_distance(ll_to_earth($2, $3), ll_to_earth(s.centre_lat, s.centre_lng)) <= $4
          AND lower(s.name) = lower($1) AND s.archived_at IS NULL
        ORDER BY s.id LIMIT 1
        """,
        name,
        lat,
        lng,
        within_m,
    )


async def invite_by_code(code: str) -> Invite | None:
    if not code or len(code) > 16:
        return None
    row = await db.fetchrow(
        """
        SELECT i.id, i.street, s.name AS street_name, i.code, i.expires_at, i.max_uses, i.uses, i.revoked_at
        FROM street_invite i JOIN street s ON s.id = i.street WHERE i.code = $1
        """,
        code,
    )
    if row is None:
        return None
    return Invite(
        id=row["id"],
        street_id=row["street"],
        street_name=row["street_name"],
        code=row["code"],
        expires_at=row["expires_at"],
        max_uses=row["max_uses"],
        uses=row["uses"],
        revoked_at=row["revoked_at"],
    )


@dataclass(frozen=True, slots=True)
class OpenItems:
    offers: int
    asks: int

    @property
    def any(self) -> bool:
        return bool(self.offers or self.asks)


async def open_items(resident_id: int) -> OpenItems:
    """How many of the resident's offers (active or paused) and asks (open) would move with them."""
    row = await db.fetchrow(
        """
        SELECT (SELECT count(*) FROM offer WHERE owner = $1 AND status IN ('active', 'paused')) AS offers,
               (SELECT count(*) FROM ask WHERE owner = $1 AND status = 'open') AS asks
        """,
        resident_id,
    )
    assert row is not None
    return OpenItems(offers=row["offers"], asks=row["asks"])


@dataclass(frozen=True, slots=True)
class Blocked:
    resident_id: int
    display_name: str
    since: datetime


async def blocked_by(resident_id: int) -> list[Blocked]:
    """The residents this resident blocked, newest first (for their own list, to unblock)."""
    rows = await db.fetch(
        """SELECT r.id, r.display_name, b.created_at FROM resident_block b JOIN resident r ON r.id = b.blocked
           WHERE b.blocker = $1 AND r.is_active ORDER BY b.created_at DESC, b.id DESC""", resident_id)
    return [Blocked(r["id"], r["display_name"], r["created_at"]) for r in rows]
