"""Places verbs: the only writers of homes, streets, street membership and invite uses.

A home point is private: it is written here, read back only for its owner (queries.own_home),
and never logged (the log says that a home was set, never where).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from streetshare import clock, db
from streetshare.errors import Conflict, Invalid, NotAllowed, NotFound
from streetshare.places import queries, rules
from streetshare.places.geocoding import Geocoder, GeocodingError, Place
from streetshare.places.privacy import blur_point

log = logging.getLogger(__name__)

NO_HOME_TO_JOIN = (
    "Tell us where you live first, so we can check this street is near you. "
    "Or use an invite link from a neighbour."
)
TOO_FAR_TO_JOIN = (
    "That street is too far from your home to join. Ask one of its coordinators for an invite link, "
    "or start a street of your own."
)


class AddressProblem(Invalid):
    """The address could not be looked up: `message` says why, `hint` is the way forward."""

    def __init__(self, error: GeocodingError) -> None:
        super().__init__({"address": error.message}, message=error.message)
        self.hint = error.hint
        self.kind = error.kind


class AmbiguousAddress(Invalid):
    """Several places match the address: the resident picks one (`places`, best first)."""

    def __init__(self, places: Sequence[Place]) -> None:
        message = "Several places match that address. Choose yours."
        super().__init__({"address": message}, message=message)
        self.places = list(places)


class InviteUnusable(Conflict):
    """An invite link that was switched off, has expired or is used up (the message says which)."""


# ---------------------------------------------------------------- where residents live


async def look_up_address(geocoder: Geocoder, address: str, *, choice: int | None = None) -> Place:
    """The one place an address means. Several matches and no (valid) choice: AmbiguousAddress."""
    if message := rules.address_error(address):
        raise Invalid({"address": message})
    try:
        places = await geocoder.lookup(address.strip())
    except GeocodingError as exc:
        raise AddressProblem(exc) from None
    if len(places) == 1:
        return places[0]
    if choice is not None and 0 <= choice < len(places):
        return places[choice]
    raise AmbiguousAddress(places)


async def set_home(*, acting: int, lat: float | None, lng: float | None, address: str | None = None) -> None:
    """Store the resident's home point (and the address it came from, if typed). Private."""
    if message := rules.point_error(lat, lng):
        raise Invalid({"location": message})
    status = await db.execute(
        "UPDATE resident SET home_lat = $2, home_lng = $3, home_address = $4 WHERE id = $1 AND is_active",
        acting,
        lat,
        lng,
        (address or "").strip()[: rules.ADDRESS_MAX] or None,
    )
    if status.endswith(" 0"):
        raise NotFound()
    log.info("home set", extra={"resident_id": acting, "method": "address" if address else "location"})


async def set_home_from_address(*, acting: int, geocoder: Geocoder, address: str, choice: int | None = None) -> Place:
    place = await look_up_address(geocoder, address, choice=choice)
    await set_home(acting=acting, lat=place.lat, lng=place.lng, address=place.label)
    return place


async def set_looks_at(*, acting: int, looks_at: str) -> None:
    """How far the resident looks: 'street' (my street only) or 'nearby' (and neighbouring streets)."""
    if message := rules.looks_at_error(looks_at):
        raise Invalid({"looks_at": message})
    await db.execute("UPDATE resident SET looks_at = $2 WHERE id = $1", acting, looks_at)


# ---------------------------------------------------------------- streets


async def create_street(
    *,
    acting: int,
    name: str,
    radius_m: int | None = rules.RADIUS_DEFAULT_M,
    centre: tuple[float, float] | None = None,
    secret: str,
    items: str = rules.BRING,
) -> int:
    """Start a street; its creator becomes its first coordinator and moves to it.

    Without a chosen centre, the street is centred near the creator's home: the home point
    moved by privacy.blur_point, so the street's centre never gives the home away.
    """
    errors: dict[str, str] = {}
    if message := rules.street_name_error(name):
        errors["name"] = message
    if message := rules.radius_error(radius_m):
        errors["radius_m"] = message
    if message := rules.move_choice_error(items):
        errors["items"] = message
    if centre is None:
        home = await db.fetchrow("SELECT home_lat, home_lng FROM resident WHERE id = $1", acting)
        if home is None or home["home_lat"] is None or home["home_lng"] is None:
            errors["centre"] = "Tell us where you live first, or choose the street's centre by address."
        else:
            centre = blur_point(home["home_lat"], home["home_lng"], secret=secret, subject_id=acting)
    if centre is not None and "name" not in errors:
        if await queries.same_name_nearby(rules.clean_street_name(name), *centre):
            errors["name"] = f"There's already a street called {rules.clean_street_name(name)} nearby: join it instead."
    if errors:
        raise Invalid(errors)
    assert centre is not None and radius_m is not None
    now = clock.now()
    async with db.transaction():
        street_id = await db.fetchval(
            """
            INSERT INTO street (name, centre_lat, centre_lng, radius_m, created_by, created_at)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
            """,
            rules.clean_street_name(name),
            centre[0],
            centre[1],
            radius_m,
            acting,
            now,
        )
        await db.execute(
            "INSERT INTO street_coordinator (street, resident, appointed_by, appointed_at) VALUES ($1, $2, $2, $3)",
            street_id,
            acting,
            now,
        )
        await _move(acting, street_id, items)
    log.info("street created", extra={"street_id": street_id, "resident_id": acting})
    return street_id


async def join_street(*, acting: int, street_id: int, items: str = rules.BRING) -> bool:
    """Make `street_id` the resident's home street (False when it already was).

    Without an invite, the street must be near the resident's home (rules.may_join_directly).
    Their open offers and asks come along (items='bring') or are withdrawn (items='close').
    """
    if message := rules.move_choice_error(items):
        raise Invalid({"items": message})
    if await queries.street_name(street_id) is None or await _archived(street_id):
        raise NotFound()
    if await db.fetchval("SELECT street FROM resident WHERE id = $1", acting) == street_id:
        return False
    distance = await queries.home_distance_to_street(acting, street_id)
    if distance is None:
        raise NotAllowed(NO_HOME_TO_JOIN)
    if not rules.may_join_directly(distance, await queries.street_radius(street_id) or 0):
        raise NotAllowed(TOO_FAR_TO_JOIN)
    async with db.transaction():
        moved = await _move(acting, street_id, items)
    if moved:
        log.info("resident joined street", extra={"street_id": street_id, "resident_id": acting})
    return moved


async def join_by_invite(*, acting: int, code: str, items: str = rules.BRING) -> int:
    """Join the invite's street (from anywhere). Uses one of the invite's uses, atomically.

    Already a member: nothing is used up. Unknown code: NotFound; switched off, expired or
    used up: InviteUnusable, each with a kind message.
    """
    if message := rules.move_choice_error(items):
        raise Invalid({"items": message})
    invite = await queries.invite_by_code(code)
    if invite is None:
        raise NotFound(rules.invite_problem(None, clock.now()) or "")
    async with db.transaction():
        current = await db.fetchval("SELECT street FROM resident WHERE id = $1 FOR NO KEY UPDATE", acting)
        if current == invite.street_id:
            return invite.street_id
        # Before the invite row: archiving the street this resident leaves switches off its invites, and
        # someone moving the other way may be using one of them.
        await lock_streets_of(acting, also=invite.street_id)
        now = clock.now()
        used = await db.fetchval(
            """
            UPDATE street_invite SET uses = uses + 1
            WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)
              AND (max_uses IS NULL OR uses < max_uses)
            RETURNING street
            """,
            invite.id,
            now,
        )
        if used is None:
            latest = await queries.invite_by_code(code)
            raise InviteUnusable(
                rules.invite_problem(latest.state if latest else None, now) or "This invite link can't be used."
            )
        await _move(acting, invite.street_id, items)
    log.info("resident joined street by invite", extra={"street_id": invite.street_id, "resident_id": acting})
    return invite.street_id


async def _move(resident_id: int, street_id: int, items: str) -> bool:
    """Inside a transaction: make street_id the resident's home street, taking care of their open items
    and of the streets they coordinated (they step down there; refused, OnlyCoordinator, when they are the
    only coordinator of one).

    The history (finished offers, fulfilled or expired asks) stays on the old street.
    """
    # NO KEY: a coordinator appointing them meanwhile (street row, then a foreign key's share of this
    # one) goes on, instead of both waiting for the other: this transaction then wants that street.
    current = await db.fetchval("SELECT street FROM resident WHERE id = $1 FOR NO KEY UPDATE", resident_id)
    if current == street_id:
        return False
    # Locked like archiving locks it: nobody moves in while the street is archived.
    await lock_streets_of(resident_id, also=street_id)
    if await _archived(street_id):
        raise NotFound()
    from streetshare.coordinators import service as coordinators

    await archive_streets_left_empty(resident_id, staying_on=street_id)
    await coordinators.step_down_when_leaving(resident_id, to_street=street_id)
    now = clock.now()
    await db.execute(
        "UPDATE resident SET street = $2, street_joined_at = $3 WHERE id = $1", resident_id, street_id, now
    )
    # Offers and asks are the offers and asks services' to change.
    from streetshare.asks import service as asks
    from streetshare.offers import service as offers

    if items == rules.BRING:
        await offers.move_open_offers(resident_id, to_street=street_id)
        await asks.move_open_asks(resident_id, to_street=street_id)
    else:
        await offers.withdraw_open_offers(resident_id, except_street=street_id)
        await asks.withdraw_open_asks(resident_id, except_street=street_id)
    return True


# ---------------------------------------------------------------- archiving a street nobody lives on

async def _archived(street_id: int) -> bool:
    return bool(await db.fetchval("SELECT archived_at IS NOT NULL FROM street WHERE id = $1", street_id))


async def lock_streets_of(resident_id: int, *, also: int | None = None) -> None:
    """Inside a transaction, the resident's row already locked (FOR NO KEY UPDATE, see _move): lock, in
    one statement and in id order, every street row that moving them (to `also`) or closing their
    account will lock: the street they live on, those they coordinate, and `also`.

    Taken before any other street lock, so two such transactions never lock two streets in opposite
    orders. (The lone residents of two streets swapping streets at the same moment did: a deadlock,
    one of them a 500.) The later per-street locks are then already held. The set cannot grow
    meanwhile: their street can't change under the resident lock, and they can only be appointed on it.
    """
    await db.fetch(
        """
        SELECT id FROM street
        WHERE id = $2 OR id = (SELECT street FROM resident WHERE id = $1)
           OR id IN (SELECT street FROM street_coordinator WHERE resident = $1)
        ORDER BY id FOR UPDATE
        """,
        resident_id, also,
    )


async def archive_streets_left_empty(resident_id: int, *, staying_on: int | None = None) -> list[int]:
    """Inside the transaction that moves a resident away (to `staying_on`) or closes their account:
    archive the streets they live on or coordinate where no other active resident lives, and switch
    off their invite links. Returns the archived streets' ids.

    An archived street keeps its history (offers, asks and exchanges point at it) and needs no
    coordinator (coordinators.service.step_down_when_leaving then lets its last one go); it is no
    longer listed nearby or joinable, and its name is free again. Every street row involved is locked
    first (lock_streets_of) before its members are counted, and moving in locks the same row: a
    neighbour joining at that moment either counts as a member here, or finds the street archived.
    """
    await lock_streets_of(resident_id, also=staying_on)
    rows = await db.fetch(
        """
        SELECT s.id FROM street s
        WHERE s.archived_at IS NULL AND s.id IS DISTINCT FROM $2
          AND (s.id = (SELECT street FROM resident WHERE id = $1)
               OR s.id IN (SELECT street FROM street_coordinator WHERE resident = $1))
        ORDER BY s.id
        """,
        resident_id, staying_on,
    )
    archived: list[int] = []
    now = clock.now()
    for row in rows:
        await db.fetchval("SELECT id FROM street WHERE id = $1 FOR UPDATE", row["id"])
        others = await db.fetchval(
            "SELECT 1 FROM resident WHERE street = $1 AND is_active AND id <> $2 LIMIT 1", row["id"], resident_id
        )
        if others:
            continue
        await db.execute("UPDATE street SET archived_at = $2 WHERE id = $1", row["id"], now)
        await db.execute("UPDATE street_invite SET revoked_at = $2 WHERE street = $1 AND revoked_at IS NULL", row["id"], now)
        archived.append(row["id"])
        log.info("street archived: its last member left", extra={"street_id": row["id"]})
    return archived


# ---------------------------------------------------------------- blocking

CANNOT_BLOCK_YOURSELF = "You can't block yourself."


async def block(*, acting: int, resident_id: int) -> bool:
    """The resident blocks someone they can see (their profile is visible to them): from then on
    neither sees the other's offers, asks or profile, and neither can start an exchange with the
    other (exchanges already under way go on, so that a lent thing can still come back).
    False when they had already blocked them."""
    from streetshare.reputation.queries import profile_access

    if acting == resident_id:
        raise NotAllowed(CANNOT_BLOCK_YOURSELF)
    if await db.fetchval("SELECT 1 FROM resident_block WHERE blocker = $1 AND blocked = $2", acting, resident_id):
        return False  # their profile is hidden by now: pressing again changes nothing
    if not (await profile_access(resident_id, acting)).visible:
        raise NotFound()
    async with db.transaction():
        added = await db.fetchval(
            "INSERT INTO resident_block (blocker, blocked, created_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (blocker, blocked) DO NOTHING RETURNING id", acting, resident_id, clock.now())
    if added:
        log.info("resident blocked someone", extra={"resident_id": acting})
    return added is not None


async def unblock(*, acting: int, resident_id: int) -> bool:
    """Lift a block the resident made (False when there was none)."""
    async with db.transaction():
        removed = await db.fetchval(
            "DELETE FROM resident_block WHERE blocker = $1 AND blocked = $2 RETURNING id", acting, resident_id)
    return removed is not None


async def forget_blocks(resident_id: int) -> None:
    """Inside the transaction that closes the resident's account: the blocks they made, and those
    made of them, go (a closed account is seen by nobody anyway)."""
    await db.execute("DELETE FROM resident_block WHERE blocker = $1 OR blocked = $1", resident_id)
