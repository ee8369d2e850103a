"""Ask verbs: the only writers of asks. Every status change goes through rules.next_status.

The worker calls `expire_due_asks` and `remind_expiring_asks` (upkeep tasks): asks expire after
their "needed by" day or 30 days, and their owner hears a few days before, with a one-tap renew.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from streetshare import clock, db
from streetshare.asks import rules
from streetshare.asks.queries import ask_visible_to, asks_due_for_reminder
from streetshare.errors import IllegalTransition, Invalid, NotAllowed, NotFound
from streetshare.offers.rules import LOCAL_TZ
from streetshare.photos import service as photos
from streetshare.photos.images import ProcessedPhoto
from streetshare.photos.storage import PhotoStore

log = logging.getLogger(__name__)

NO_STREET = "Please set your home street first: asks are shared with the people on your street."


async def create_ask(*, acting: int, fields: dict[str, Any], photo: ProcessedPhoto | None = None,
                     store: PhotoStore | None = None) -> int:
    """A new open ask on the actor's home street (with an optional first photo). Returns its id."""
    now = clock.now()
    ask, errors = rules.check_ask(fields, now=now)
    street = await db.fetchval("SELECT street FROM resident WHERE id = $1 AND is_active", acting)
    if street is None:
        errors = {"street": NO_STREET, **errors}
    if errors or ask is None:
        raise Invalid(errors)
    async with db.transaction():
        ask_id = await db.fetchval(
            """
            INSERT INTO ask (owner, street, title, description, category, help_kind, help_kind_stated, needed_by,
                             expires_at, status, neighbours_may_see, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $11, $7, $8, 'open', $9, $10, $10)
            RETURNING id
            """,
            acting, street, ask.title, ask.description, ask.category, ask.help_kind, ask.needed_by,
            rules.expires_at(now=now, needed_by=ask.needed_by), ask.neighbours_may_see, now, ask.help_kind_stated,
        )
        if photo is not None:
            assert store is not None, "a photo needs a store"
            await photos.attach("ask", ask_id, acting=acting, photo=photo, store=store)
        await _match_later(ask_id)
    log.info("ask created", extra={"ask_id": ask_id})
    return ask_id


async def _lock(ask_id: int, acting: int | None) -> Any:
    row = await db.fetchrow(
        """SELECT id, owner, title, description, category, help_kind, help_kind_stated, needed_by, expires_at,
                  status, neighbours_may_see FROM ask WHERE id = $1 FOR UPDATE""",
        ask_id,
    )
    if row is None:
        raise NotFound()
    if acting is not None and row["owner"] != acting:
        if await ask_visible_to(ask_id, acting):
            raise NotAllowed("Only the person who asked can change this.")
        raise NotFound()
    return row


async def update_ask(ask_id: int, *, acting: int, changes: dict[str, Any]) -> None:
    """The owner edits their ask (open or expired). A new "needed by" day moves the expiry with it."""
    async with db.transaction():
        row = await _lock(ask_id, acting)
        if not rules.can_edit(row["status"], is_owner=True):
            raise IllegalTransition("This ask has ended, so it can't be edited.")
        previous = rules.AskFields(**{name: row[name] for name in rules.FIELDS})
        now = clock.now()
        ask, errors = rules.check_ask(changes, now=now, previous=previous)
        if errors or ask is None:
            raise Invalid(errors)
        expires = row["expires_at"]
        if ask.needed_by != previous.needed_by:
            expires = rules.expires_at(now=now, needed_by=ask.needed_by)
        await db.execute(
            """
            UPDATE ask SET title = $2, description = $3, category = $4, help_kind = $5, help_kind_stated = $10,
                           needed_by = $6, neighbours_may_see = $7, expires_at = $8,
                           reminded_at = CASE WHEN $8 = expires_at THEN reminded_at END, updated_at = $9
            WHERE id = $1
            """,
            ask_id, ask.title, ask.description, ask.category, ask.help_kind, ask.needed_by,
            ask.neighbours_may_see, expires, now, ask.help_kind_stated,
        )
        await _match_later(ask_id)


async def _match_later(ask_id: int) -> None:
    """Queue matching for the worker, in the caller's transaction (never matched in the request)."""
    from streetshare.matching import service as matching

    await matching.request_matching("ask", ask_id)


async def change_status(ask_id: int, action: str, *, acting: int) -> str:
    """The owner withdraws their ask or says it is sorted (fulfil). Returns the new status."""
    if action not in (rules.Action.WITHDRAW, rules.Action.FULFIL):
        raise Invalid({"status": "Choose withdrawn or fulfilled."})
    async with db.transaction():
        row = await _lock(ask_id, acting)
        new = rules.next_status(row["status"], action, role=rules.OWNER)
        await db.execute("UPDATE ask SET status = $2, updated_at = $3 WHERE id = $1", ask_id, new.value, clock.now())
    log.info("ask status changed", extra={"ask_id": ask_id, "status": new.value})
    return new.value


async def withdraw_ask(ask_id: int, *, acting: int) -> str:
    return await change_status(ask_id, rules.Action.WITHDRAW, acting=acting)


async def fulfil_ask(ask_id: int, *, acting: int) -> str:
    return await change_status(ask_id, rules.Action.FULFIL, acting=acting)


async def mark_fulfilled(ask_id: int) -> None:
    """An exchange met this ask (the system acts; for the exchanges domain, inside its transaction)."""
    async with db.transaction():
        row = await _lock(ask_id, None)
        new = rules.next_status(row["status"], rules.Action.FULFIL, role=rules.SYSTEM)
        await db.execute("UPDATE ask SET status = $2, updated_at = $3 WHERE id = $1", ask_id, new.value, clock.now())


async def renew_ask(ask_id: int, *, acting: int) -> datetime:
    """One tap: 30 more days from now; an expired ask opens again. Returns the new expiry."""
    async with db.transaction():
        row = await _lock(ask_id, acting)
        new = rules.next_status(row["status"], rules.Action.RENEW, role=rules.OWNER)
        now = clock.now()
        expires, needed_by = rules.renewal(now=now, needed_by=row["needed_by"])
        await db.execute(
            """UPDATE ask SET status = $2, expires_at = $3, needed_by = $4, reminded_at = NULL, updated_at = $5
               WHERE id = $1""",
            ask_id, new.value, expires, needed_by, now,
        )
        await _match_later(ask_id)
    log.info("ask renewed", extra={"ask_id": ask_id})
    return expires


async def expire_asks(now: datetime) -> list[int]:
    """Open asks whose time is up become expired (the system acts). Returns their ids. Idempotent."""
    assert rules.TRANSITIONS[(rules.Status.OPEN, rules.Action.EXPIRE)] is rules.Status.EXPIRED
    rows = await db.fetch(
        """
        UPDATE ask SET status = 'expired', updated_at = $1
        WHERE id IN (SELECT id FROM ask WHERE status = 'open' AND expires_at <= $1 ORDER BY expires_at LIMIT 1000
                     FOR UPDATE SKIP LOCKED)
        RETURNING id
        """,
        now,
    )
    return [r["id"] for r in rows]


async def remind_owner(ask_id: int, now: datetime) -> bool:
    """Tell the owner their ask expires soon, once (reminded_at is set in the same transaction)."""
    from streetshare.notifications.service import notify

    async with db.transaction():
        row = await db.fetchrow(
            """UPDATE ask SET reminded_at = $2 WHERE id = $1 AND status = 'open' AND reminded_at IS NULL
               RETURNING owner, title, expires_at""",
            ask_id, now,
        )
        if row is None:
            return False
        day = row["expires_at"].astimezone(LOCAL_TZ).strftime("%A %-d %B")
        await notify(
            row["owner"],
            "ask_expiring",
            text=f"Your ask \u201c{row['title']}\u201d expires on {day}. Still need it? Renew it with one tap.",
            url=f"/asks/{ask_id}",
            once_key=f"ask-expiring:{ask_id}:{row['expires_at'].isoformat()}",
        )
    return True


# ---------------------------------------------------------------- upkeep tasks (worker.UPKEEP)


async def expire_due_asks() -> int:
    return len(await expire_asks(clock.now()))


async def remind_expiring_asks() -> int:
    now = clock.now()
    sent = 0
    for due in await asks_due_for_reminder(now):
        if await remind_owner(due.ask_id, now):
            sent += 1
    return sent


async def add_photo(ask_id: int, *, acting: int, photo: ProcessedPhoto, store: PhotoStore) -> int:
    return await photos.attach("ask", ask_id, acting=acting, photo=photo, store=store)


async def remove_photo(ask_id: int, photo_id: int, *, acting: int, store: PhotoStore) -> None:
    await photos.remove("ask", ask_id, photo_id, acting=acting, store=store)


async def move_open_asks(owner: int, *, to_street: int) -> int:
    """The owner moves street and brings their open asks along (caller's transaction)."""
    result = await db.execute(
        "UPDATE ask SET street = $2, updated_at = $3 WHERE owner = $1 AND status = 'open' AND street <> $2",
        owner, to_street, clock.now(),
    )
    return int(result.split()[-1])


async def withdraw_open_asks(owner: int, *, except_street: int | None = None) -> int:
    """The owner leaves a street: their open asks, except those on `except_street`, are withdrawn."""
    result = await db.execute(
        "UPDATE ask SET status = 'withdrawn', updated_at = $3 WHERE owner = $1 AND status = 'open' "
        "AND street IS DISTINCT FROM $2",
        owner, except_street, clock.now(),
    )
    return int(result.split()[-1])
