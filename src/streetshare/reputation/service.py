"""Reputation verbs: the only writer of thanks notes (moderation hides them with its own verb)."""

from __future__ import annotations

import logging

import asyncpg

from streetshare import clock, db
from streetshare.errors import Conflict, Invalid, NotFound
from streetshare.notifications import notify
from streetshare.reputation import rules

log = logging.getLogger(__name__)

# What the database refused (a race past the checks below), in words for people.
_REFUSED = {
    "thanks_once_per_party": "You've already said thanks for this exchange.",
    "thanks_after_completed": "You can say thanks once the exchange is complete.",
}


async def say_thanks(exchange_id: int, text: str, *, acting: int) -> int:
    """One party thanks the other, once, after a completed exchange; the other is told.

    NotFound for anyone who isn't a party; IllegalTransition before it is complete; Conflict the
    second time; Invalid for an empty or too long note. Returns the thanks note's id.
    """
    text = (text or "").strip()
    async with db.transaction():
        # FOR SHARE: the exchange can't change state while the note is written.
        row = await db.fetchrow(
            """
            SELECT e.id, e.state, e.provider, e.recipient, coalesce(o.title, a.title, '') AS title
            FROM exchange e LEFT JOIN offer o ON o.id = e.offer LEFT JOIN ask a ON a.id = e.ask
            WHERE e.id = $1 FOR SHARE OF e
            """,
            exchange_id,
        )
        if row is None or acting not in (row["provider"], row["recipient"]):
            raise NotFound()  # others don't learn that it exists
        already = await db.fetchval("SELECT 1 FROM thanks WHERE exchange = $1 AND author = $2", exchange_id, acting)
        rules.check_may_thank(state=row["state"], already_thanked=bool(already))
        if error := rules.thanks_text_error(text):
            raise Invalid({"text": error})
        recipient = row["recipient"] if acting == row["provider"] else row["provider"]
        now = clock.now()
        try:  # a race lost past the checks above (two taps at once) is refused by the database
            thanks_id = await db.fetchval(
                "INSERT INTO thanks (exchange, author, recipient, text, created_at) VALUES ($1, $2, $3, $4, $5) "
                "RETURNING id",
                exchange_id, acting, recipient, text, now,
            )
        except (asyncpg.UniqueViolationError, asyncpg.CheckViolationError) as exc:
            message = _REFUSED.get(exc.constraint_name or "")
            if message is None:
                raise
            raise Conflict(message) from None
        author_name = await db.fetchval("SELECT display_name FROM resident WHERE id = $1", acting) or ""
        await notify(recipient, "thanks_received", actor_id=acting, exchange_id=exchange_id,
                     text=f"{author_name} says thank you{_for(row['title'])}: “{text}”",
                     url=f"/exchanges/{exchange_id}/thanks")
    log.info("thanks said", extra={"exchange_id": exchange_id, "thanks_id": thanks_id})
    return thanks_id


def _for(title: str) -> str:
    return f" for {title}" if title else ""
