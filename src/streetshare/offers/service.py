"""Offer verbs: the only writers of offers. Every status change happens here, through rules.next_status.

Each verb runs in one transaction: lock the row, check who may act, compute the next status,
write. `mark_gone` is for the exchanges domain: it is how a completed give-away ends an offer.
"""

from __future__ import annotations

import logging
from typing import Any

from streetshare import clock, db
from streetshare.errors import IllegalTransition, Invalid, NotAllowed, NotFound
from streetshare.offers import rules
from streetshare.offers.queries import offer_visible_to
from streetshare.photos import service as photos
from streetshare.photos.images import ProcessedPhoto
from streetshare.photos.storage import PhotoStore

log = logging.getLogger(__name__)

NO_STREET = "Please set your home street first: offers are shared with the people on your street."


async def home_street_of(resident_id: int) -> int | None:
    return await db.fetchval("SELECT street FROM resident WHERE id = $1 AND is_active", resident_id)


async def create_offer(*, acting: int, fields: dict[str, Any], photo: ProcessedPhoto | None = None,
                       store: PhotoStore | None = None) -> int:
    """A new offer on the actor's home street (with an optional first photo). Returns its id."""
    now = clock.now()
    offer, errors = rules.check_offer(fields, now=now)
    street = await home_street_of(acting)
    if street is None:
        errors = {"street": NO_STREET, **errors}
    if errors or offer is None:
        raise Invalid(errors)
    async with db.transaction():
        offer_id = await db.fetchval(
            """
            INSERT INTO offer (owner, street, kind, title, description, category, status, neighbours_may_see,
                               loan_days, slots, starts_at, ends_at, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $10, $11, $12, $12)
            RETURNING id
            """,
            acting, street, offer.kind, offer.title, offer.description, offer.category, offer.neighbours_may_see,
            offer.loan_days, offer.slots, offer.starts_at, offer.ends_at, now,
        )
        if photo is not None:
            assert store is not None, "a photo needs a store"
            await photos.attach("offer", offer_id, acting=acting, photo=photo, store=store)
        await _match_later(offer_id)
    log.info("offer created", extra={"offer_id": offer_id, "kind": offer.kind})
    return offer_id


async def _lock(offer_id: int, acting: int | None) -> Any:
    """Lock the offer row. With an actor who isn't the owner: NotAllowed if they can see it, else NotFound."""
    row = await db.fetchrow(
        """SELECT id, owner, kind, title, description, category, status, neighbours_may_see, loan_days, slots,
                  starts_at, ends_at FROM offer WHERE id = $1 FOR UPDATE""",
        offer_id,
    )
    if row is None:
        raise NotFound()
    if acting is not None and row["owner"] != acting:
        if await offer_visible_to(offer_id, acting):
            raise NotAllowed("Only the person who made this offer can change it.")
        raise NotFound()
    return row


async def update_offer(offer_id: int, *, acting: int, changes: dict[str, Any]) -> None:
    """The owner edits their offer (active or paused). Fields not given keep their values."""
    async with db.transaction():
        row = await _lock(offer_id, acting)
        if not rules.can_edit(row["status"], is_owner=True):
            raise IllegalTransition("This offer has ended, so it can't be edited.")
        previous = rules.OfferFields(**{name: row[name] for name in rules.FIELDS})
        offer, errors = rules.check_offer(changes, now=clock.now(), previous=previous)
        if errors or offer is None:
            raise Invalid(errors)
        await db.execute(
            """
            UPDATE offer SET kind = $2, title = $3, description = $4, category = $5, neighbours_may_see = $6,
                             loan_days = $7, slots = $8, starts_at = $9, ends_at = $10, updated_at = $11
            WHERE id = $1
            """,
            offer_id, offer.kind, offer.title, offer.description, offer.category, offer.neighbours_may_see,
            offer.loan_days, offer.slots, offer.starts_at, offer.ends_at, clock.now(),
        )
        await _match_later(offer_id)


async def _match_later(offer_id: int) -> None:
    """Queue matching for the worker, in the caller's transaction (never matched in the request)."""
    from streetshare.matching import service as matching

    await matching.request_matching("offer", offer_id)


async def change_status(offer_id: int, action: str, *, acting: int) -> str:
    """The owner pauses, resumes or withdraws their offer. Returns the new status."""
    if action not in (rules.Action.PAUSE, rules.Action.RESUME, rules.Action.WITHDRAW):
        raise Invalid({"status": "Choose pause, resume or withdraw."})
    async with db.transaction():
        row = await _lock(offer_id, acting)
        new = rules.next_status(row["status"], action, role=rules.OWNER)
        await db.execute("UPDATE offer SET status = $2, updated_at = $3 WHERE id = $1", offer_id, new.value, clock.now())
        if new.value == "active":
            await _match_later(offer_id)
    log.info("offer status changed", extra={"offer_id": offer_id, "status": new.value})
    return new.value


async def pause_offer(offer_id: int, *, acting: int) -> str:
    return await change_status(offer_id, rules.Action.PAUSE, acting=acting)


async def resume_offer(offer_id: int, *, acting: int) -> str:
    return await change_status(offer_id, rules.Action.RESUME, acting=acting)


async def withdraw_offer(offer_id: int, *, acting: int) -> str:
    return await change_status(offer_id, rules.Action.WITHDRAW, acting=acting)


async def mark_gone(offer_id: int) -> None:
    """A give-away was completed: the offer is gone. For the exchanges domain only (the system acts).

    Call it inside the transaction that completes the exchange, so both happen or neither.
    Raises IllegalTransition for an offer that is not a give, or already gone or withdrawn.
    """
    async with db.transaction():
        row = await _lock(offer_id, None)
        new = rules.next_status(row["status"], rules.Action.GIVE_AWAY, role=rules.SYSTEM, kind=row["kind"])
        await db.execute("UPDATE offer SET status = $2, updated_at = $3 WHERE id = $1", offer_id, new.value, clock.now())
    log.info("offer gone", extra={"offer_id": offer_id})


async def add_photo(offer_id: int, *, acting: int, photo: ProcessedPhoto, store: PhotoStore) -> int:
    return await photos.attach("offer", offer_id, acting=acting, photo=photo, store=store)


async def remove_photo(offer_id: int, photo_id: int, *, acting: int, store: PhotoStore) -> None:
    await photos.remove("offer", offer_id, photo_id, acting=acting, store=store)


async def move_open_offers(owner: int, *, to_street: int) -> int:
    """The owner moves street and brings their active and paused offers along (caller's transaction)."""
    result = await db.execute(
        "UPDATE offer SET street = $2, updated_at = $3 WHERE owner = $1 AND status IN ('active', 'paused') "
        "AND street <> $2",
        owner, to_street, clock.now(),
    )
    return int(result.split()[-1])


async def withdraw_open_offers(owner: int, *, except_street: int | None = None) -> int:
    """The owner leaves a street (moving without their offers, or removed by a coordinator): their
    active and paused offers, except those on `except_street`, are withdrawn; history stays."""
    result = await db.execute(
        "UPDATE offer SET status = 'withdrawn', updated_at = $3 WHERE owner = $1 AND status IN ('active', 'paused') "
        "AND street IS DISTINCT FROM $2",
        owner, except_street, clock.now(),
    )
    return int(result.split()[-1])
