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


HEDGE = DemoAsk("Someone to cut back my hedge", "garden", "skill",
                "It's grown over the path and I can't manage the ladder any more.", photo="hedge", needed_in_days=10)
# Every street asks about its hedge, and five of these, a different five on each street.
POOL = [
    DemoAsk("Can I borrow a drill for an afternoon?", "tools", "borrow", "Putting up two shelves."),
    DemoAsk("Cardboard boxes for moving", "home", "receive", "Any size. We move at the end of the month.",
            photo="boxes"),
    DemoAsk("Help carrying a sofa upstairs on Sunday", "home", "time", "Ten minutes, two people.", photo="sofa",
            needed_in_days=6),
    DemoAsk("Someone to show me video calls", "tech_help", "skill", "So I can see my grandchildren."),
    DemoAsk("A child's bike, about 16 inch", "children", "receive", "For our five-year-old."),
    DemoAsk("Lift to the hospital on Tuesday morning", "lifts_errands", "time", "Appointment at 9:30.",
            needed_in_days=4),
    DemoAsk("Borrow a tent for a weekend", "sport_outdoors", "borrow", "Two-person is plenty."),
    DemoAsk("Someone to feed our cat next week", "pets", "time", "Twice a day, Monday to Friday.", needed_in_days=5),
    DemoAsk("Paddling pool for the summer", "children", "receive"),
    DemoAsk("Help hanging a heavy mirror", "diy_help", "skill", "Needs two people and a spirit level."),
    DemoAsk("Borrow a steam cleaner", "home", "borrow", "For the stairs carpet."),
    DemoAsk("Spare jam jars", "kitchen", "receive", "Making chutney: a dozen would be wonderful."),
    DemoAsk("Someone good with spreadsheets", "tech_help", "skill", "For the allotment society's accounts."),
    DemoAsk("Borrow a car roof box", "sport_outdoors", "borrow", "For a week in August."),
    DemoAsk("A few hours of babysitting on Friday", "children", "time", "Two children, 4 and 7.",
            needed_in_days=3),
]
ASKS_PER_STREET = 6


def asks_for(rank: int) -> list[DemoAsk]:
    start = rank * (ASKS_PER_STREET - 1)
    return [HEDGE, *(POOL[(start + i) % len(POOL)] for i in range(ASKS_PER_STREET - 1))]


async def seed_asks(settings: Settings) -> int:
    """Make whatever demo asks are missing on each demo street. Returns how many were made."""
    now = clock.now()
    store = store_for(settings)
    made = 0
    for rank, (street_id, _name, residents) in enumerate(await demo_streets()):
        for n, ask in enumerate(asks_for(rank)):
            if await db.fetchval("SELECT 1 FROM ask WHERE street = $1 AND title = $2", street_id, ask.title):
                continue
            owner = residents[(n * 2 + rank + 1) % len(residents)]
            needed_by = local_today(now) + timedelta(days=ask.needed_in_days) if ask.needed_in_days else None
            fields = {"title": ask.title, "category": ask.category, "help_kind": ask.help_kind,
                      "description": ask.description, "needed_by": needed_by}
            photo = await prepare(picture(ask.photo)) if ask.photo else None
            with clock.frozen_at(now - timedelta(hours=5 + ((n + rank * 2) % ASKS_PER_STREET) * 11.1 + rank * 1.9)):
                await service.create_ask(acting=owner, fields=fields, photo=photo, store=store)
            made += 1
    if made:
        log.info("demo asks made", extra={"asks": made})
    return made
