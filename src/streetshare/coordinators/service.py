"""Coordinator verbs: invites, appointing and stepping down, "met in person", and a resident's
own opt-ins. Each checks the actor inside its transaction and writes the moderation log."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from streetshare import clock, db
from streetshare.coordinators import queries, rules
from streetshare.errors import Conflict, Invalid, NotFound
from streetshare.moderation.service import log_action, tell

log = logging.getLogger(__name__)

LAST_COORDINATOR = (
    "A street needs at least one coordinator. Appoint a neighbour first, then you can step down."
)
LAST_COORDINATOR_LEAVING = (
    "You're the only coordinator of {street}, and a street needs at least one. Appoint a neighbour there "
    "as a coordinator first, {then}"
)
MOVED_AWAY = "Moved to another street"
ACCOUNT_CLOSED = "Closed their account"


class OnlyCoordinator(Conflict):
    """The only coordinator of a street tried to leave it, by moving or closing their account (the message
    names the street)."""


async def _lock_street_as_coordinator(street_id: int, acting: int) -> queries.CoordinatedStreet:
    """Inside a transaction: check the actor coordinates the street, and lock the street row so that
    changes to its coordinators happen one at a time."""
    street = await queries.street_for_coordinator(street_id, acting)
    await db.fetchval("SELECT id FROM street WHERE id = $1 FOR UPDATE", street_id)
    return street


# ---------------------------------------------------------------- invites


@dataclass(frozen=True, slots=True)
class NewInvite:
    id: int
    code: str
    expires_at: datetime | None
    max_uses: int | None


async def create_invite(street_id: int, *, acting: int, days: int | str = rules.INVITE_DAYS_DEFAULT,
                        max_uses: int | str | None = None) -> NewInvite:
    errors = {
        key: message
        for key, message in {"days": rules.invite_days_error(days), "max_uses": rules.max_uses_error(max_uses)}.items()
        if message
    }
    if errors:
        raise Invalid(errors)
    uses = rules.parse_max_uses(max_uses)
    now = clock.now()
    expires_at = now + timedelta(days=int(days))
    async with db.transaction():
        await queries.street_for_coordinator(street_id, acting)
        for _ in range(5):  # 31^8 codes: a collision is rare, and simply retried
            code = rules.new_invite_code()
            invite_id = await db.fetchval(
                """
                INSERT INTO street_invite (street, code, created_by, created_at, expires_at, max_uses)
                VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING RETURNING id
                """,
                street_id, code, acting, now, expires_at, uses,
            )
            if invite_id is not None:
                break
        else:  # pragma: no cover
            raise Conflict("We couldn't make a new code just now. Please try again.")
        await log_action(street_id, acting, "create_invite", "invite", invite_id)
    return NewInvite(invite_id, code, expires_at, uses)


async def revoke_invite(street_id: int, invite_id: int, *, acting: int) -> None:
    async with db.transaction():
        await queries.street_for_coordinator(street_id, acting)
        revoked = await db.fetchval(
            "UPDATE street_invite SET revoked_at = $3 WHERE id = $1 AND street = $2 AND revoked_at IS NULL RETURNING id",
            invite_id, street_id, clock.now(),
        )
        if revoked is None:
            exists = await db.fetchval("SELECT 1 FROM street_invite WHERE id = $1 AND street = $2", invite_id, street_id)
            if not exists:
                raise NotFound()
            raise Conflict("This invite link was already switched off.")
        await log_action(street_id, acting, "revoke_invite", "invite", invite_id)


# ---------------------------------------------------------------- coordinators


async def appoint_coordinator(street_id: int, resident_id: int, *, acting: int) -> str:
    """Make a member of the street one of its coordinators; returns their display name."""
    async with db.transaction():
        street = await _lock_street_as_coordinator(street_id, acting)
        member = await db.fetchrow(
            "SELECT id, display_name FROM resident WHERE id = $1 AND street = $2 AND is_active", resident_id, street_id
        )
        if member is None:
            raise Invalid({"resident_id": "Only a member of this street can be appointed."})
        inserted = await db.fetchval(
            """
            INSERT INTO street_coordinator (street, resident, appointed_by, appointed_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (street, resident) DO NOTHING RETURNING id
            """,
            street_id, resident_id, acting, clock.now(),
        )
        if inserted is None:
            raise Conflict(f"{member['display_name']} is already a coordinator of {street.name}.")
        await log_action(street_id, acting, "appoint", "resident", resident_id)
        await tell(resident_id, "coordinator", actor_id=acting,
                   text=f"You're now a coordinator of {street.name}.", url=f"/streets/{street_id}/dashboard")
    log.info("coordinator appointed", extra={"street_id": street_id, "resident_id": resident_id})
    return member["display_name"]


async def step_down(street_id: int, *, acting: int) -> None:
    """Stop coordinating the street. The last coordinator cannot: a street keeps at least one.

    The street row is locked first, so two coordinators stepping down at once cannot both go.
    """
    async with db.transaction():
        await _lock_street_as_coordinator(street_id, acting)
        count = await db.fetchval("SELECT count(*) FROM street_coordinator WHERE street = $1", street_id)
        if not rules.may_step_down(count):
            raise Conflict(LAST_COORDINATOR)
        await db.execute("DELETE FROM street_coordinator WHERE street = $1 AND resident = $2", street_id, acting)
        await log_action(street_id, acting, "step_down", "resident", acting)
    log.info("coordinator stepped down", extra={"street_id": street_id, "resident_id": acting})


async def step_down_when_leaving(resident_id: int, *, to_street: int | None = None,
                                 then: str = "then you can move.") -> None:
    """Inside the transaction that moves a resident to `to_street` (None: that closes their account):
    they stop coordinating every other street (a coordinator runs the street they live on, and sees
    its members' private reliability hints).

    The only coordinator of a street cannot leave it without one: OnlyCoordinator, whose message ends
    with `then`, and the caller's transaction is rolled back. Each street row is locked first, as in
    step_down, so two coordinators leaving at once cannot both go.
    """
    rows = await db.fetch(
        """SELECT c.street, s.name FROM street_coordinator c JOIN street s ON s.id = c.street
           WHERE c.resident = $1 AND c.street IS DISTINCT FROM $2 ORDER BY c.street""", resident_id, to_street)
    for row in rows:
        # A street its last member just left is archived (places.service.archive_streets_left_empty): it needs no coordinator.
        archived = await db.fetchval("SELECT archived_at IS NOT NULL FROM street WHERE id = $1 FOR UPDATE", row["street"])
        count = await db.fetchval("SELECT count(*) FROM street_coordinator WHERE street = $1", row["street"])
        if not rules.may_step_down(count) and not archived:
            raise OnlyCoordinator(LAST_COORDINATOR_LEAVING.format(street=row["name"], then=then))
        await db.execute("DELETE FROM street_coordinator WHERE street = $1 AND resident = $2", row["street"], resident_id)
        await log_action(row["street"], resident_id, "step_down", "resident", resident_id,
                         MOVED_AWAY if to_street is not None else ACCOUNT_CLOSED)


async def forget_resident(resident_id: int) -> None:
    """Inside the transaction that closes the resident's account: their opt-ins and their
    met-in-person badge go. (The moderation log keeps what coordinators did, under their new name.)"""
    await db.execute("DELETE FROM care_preference WHERE resident = $1", resident_id)
    await db.execute("DELETE FROM verified_neighbour WHERE resident = $1", resident_id)


# ---------------------------------------------------------------- met in person


async def mark_met_in_person(street_id: int, resident_id: int, *, acting: int) -> None:
    async with db.transaction():
        await queries.street_for_coordinator(street_id, acting)
        member = await db.fetchval(
            "SELECT 1 FROM resident WHERE id = $1 AND street = $2 AND is_active", resident_id, street_id
        )
        if not member:
            raise Invalid({"resident_id": "Only a member of this street can be marked as met in person."})
        inserted = await db.fetchval(
            """
            INSERT INTO verified_neighbour (street, resident, verified_by, verified_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (street, resident) DO NOTHING RETURNING id
            """,
            street_id, resident_id, acting, clock.now(),
        )
        if inserted is None:
            raise Conflict("You've already marked this neighbour as met in person.")
        await log_action(street_id, acting, "met_in_person", "resident", resident_id)


async def unmark_met_in_person(street_id: int, resident_id: int, *, acting: int, reason: str = "") -> None:
    async with db.transaction():
        await queries.street_for_coordinator(street_id, acting)
        removed = await db.fetchval(
            "DELETE FROM verified_neighbour WHERE street = $1 AND resident = $2 RETURNING id", street_id, resident_id
        )
        if removed is None:
            raise Conflict("This neighbour isn't marked as met in person.")
        await log_action(street_id, acting, "unmark_met", "resident", resident_id, reason)


# ---------------------------------------------------------------- a resident's own opt-ins


async def save_preferences(*, acting: int, check_on_me: bool, check_after_days: int | str, show_as_sharer: bool
                           ) -> queries.Preferences:
    if message := rules.quiet_days_error(check_after_days):
        raise Invalid({"check_after_days": message})
    days = int(check_after_days)
    await db.execute(
        """
        INSERT INTO care_preference (resident, check_on_me, check_after_days, show_as_sharer, updated_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (resident) DO UPDATE SET check_on_me = EXCLUDED.check_on_me,
            check_after_days = EXCLUDED.check_after_days, show_as_sharer = EXCLUDED.show_as_sharer,
            updated_at = EXCLUDED.updated_at
        """,
        acting, check_on_me, days, show_as_sharer, clock.now(),
    )
    return queries.Preferences(check_on_me, days, show_as_sharer)
