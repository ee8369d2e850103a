"""Demo thanks notes on Elm Street's completed demo exchanges (exchanges/demo.py plays them).

Each note is said through the real service a few hours after its exchange completed, so the
profiles and notifications look as they would have. Idempotent: a note already there is skipped;
without the demo exchange (or its people), nothing is done.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from streetshare import clock, db
from streetshare.errors import Conflict
from streetshare.reputation import service

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoThanks:
    offer_owner: str
    offer_title: str  # as in exchanges/demo.py OFFERS
    recipient: str  # the exchange's recipient
    author: str
    text: str
    hours_after: float = 3


NOTES = [
    DemoThanks("Alice", "Hedge trimmer", "Carol", "Carol",
               "The hedge has never looked so tidy. Thank you, Alice!"),
    DemoThanks("Alice", "Hedge trimmer", "Carol", "Alice",
               "Came back clean and a day early. Borrow it any time, Carol.", hours_after=20),
    DemoThanks("Joe", "Small bookshelf", "Bob", "Bob", "It fits perfectly in the hall. Cheers, Joe!"),
    DemoThanks("Bob", "Bike repairs", "Carol", "Carol",
               "Both brakes work again, and Bob showed me how to do it myself next time."),
]


def _email(name: str) -> str:
    return f"{name.lower()}@demo.streetshare.local"


async def seed_thanks() -> int:
    """Say every demo thanks not yet said. Returns how many were made."""
    made = 0
    now = clock.now()
    for note in NOTES:
        row = await db.fetchrow(
            """
            SELECT e.id, e.completed_at, au.id AS author
            FROM exchange e
            JOIN offer o ON o.id = e.offer
            JOIN resident ow ON ow.id = o.owner
            JOIN resident rc ON rc.id = e.recipient
            JOIN resident au ON au.email = $4
            WHERE ow.email = $1 AND o.title = $2 AND rc.email = $3 AND e.state = 'completed'
            ORDER BY e.id LIMIT 1
            """,
            _email(note.offer_owner), note.offer_title, _email(note.recipient), _email(note.author),
        )
        if row is None:
            continue
        if await db.fetchval("SELECT 1 FROM thanks WHERE exchange = $1 AND author = $2", row["id"], row["author"]):
            continue
        at = min(row["completed_at"] + timedelta(hours=note.hours_after), now)
        try:
            with clock.frozen_at(at):
                await service.say_thanks(row["id"], note.text, acting=row["author"])
        except Conflict:  # said meanwhile (two starts at once)
            continue
        made += 1
    if made:
        log.info("demo thanks made", extra={"count": made})
    return made
