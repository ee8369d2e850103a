"""Demo asks: half a dozen on every demo street, some with photos. Idempotent, like offers.demo."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from streetshare import clock, db
from streetshare.asks import service
from streetshare.offers.demo import demo_streets, picture
from streetshare.offers.rules import local_today
from streetshare.photos.service import prepare
from streetshare.photos.storage import store_for
from streetshare.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoAsk:
    title: str
    category: str
    help_kind: str
    description: str = ""
    photo: str | None = None
    needed_in_days: int | None = None
    hours_ago: float = 1


ASKS = [
    DemoAsk("Someone to cut back my hedge", "garden", "skill",
            "It's grown over the path and I can't manage the ladder any more.", photo="hedge", needed_in_days=10,
            hours_ago=4),
    DemoAsk("Can I borrow a drill for an afternoon?", "tools", "borrow", "Putting up two shelves.", hours_ago=16),
    DemoAsk("Cardboard boxes for moving", "home", "receive", "Any size. We move at the end of the month.",
            photo="boxes", hours_ago=28),
    DemoAsk("Help carrying a sofa upstairs on Sunday", "home", "time", "Ten minutes, two people.", photo="sofa",
            needed_in_days=6, hours_ago=9),
    DemoAsk("Someone to show me video calls", "tech_help", "skill", "So I can see my grandchildren.", hours_ago=50),
    DemoAsk("A child's bike, about 16 inch", "children", "receive", "For our five-year-old.", hours_ago=75),
]


async def seed_asks(settings: Settings) -> int:
    """Make whatever demo asks are missing on each demo street. Returns how many were made."""
    now = clock.now()
    store = store_for(settings)
    made = 0
    for street_id, _name, residents in await demo_streets():
        for n, ask in enumerate(ASKS):
            if await db.fetchval("SELECT 1 FROM ask WHERE street = $1 AND title = $2", street_id, ask.title):
                continue
            owner = residents[(n * 2 + street_id + 1) % len(residents)]
            needed_by = local_today(now) + timedelta(days=ask.needed_in_days) if ask.needed_in_days else None
            fields = {"title": ask.title, "category": ask.category, "help_kind": ask.help_kind,
                      "description": ask.description, "needed_by": needed_by}
            photo = await prepare(picture(ask.photo)) if ask.photo else None
            with clock.frozen_at(now - timedelta(hours=ask.hours_ago + street_id * 0.29)):
                await service.create_ask(acting=owner, fields=fields, photo=photo, store=store)
            made += 1
    if made:
        log.info("demo asks made", extra={"asks": made})
    return made
