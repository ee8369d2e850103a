"""Demo exchanges on Elm Street, in every state: one overdue loan, and a give-away with three
neighbours waiting for the giver to choose.

Each story is played through the real services with the clock set back, so timelines, due dates
and notifications look as they would have. The offers they are about are made through the offers
service (found again by owner and title). Idempotent: a story whose exchange exists is skipped;
without the demo residents or their street, nothing is done.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from streetshare import clock, db
from streetshare.exchanges import rules, service

log = logging.getLogger(__name__)

ELM = ("Alice", "Bob", "Carol", "Joe")  # the demo residents whose home is Elm Street


def _email(name: str) -> str:
    return f"{name.lower()}@demo.streetshare.local"


@dataclass(frozen=True)
class DemoOffer:
    owner: str
    kind: str
    title: str
    category: str
    description: str = ""
    loan_days: int | None = None
    slots: int | None = None


OFFERS = {
    "ladder": DemoOffer("Alice", "lend", "Ladder, 3 metres", "diy_help",
                        "Aluminium, folds flat. Fine for gutters and first-floor windows.", loan_days=7),
    "drill": DemoOffer("Alice", "lend", "Cordless drill", "tools", "With a set of wood and masonry bits.", loan_days=5),
    "pasta": DemoOffer("Carol", "lend", "Pasta machine", "kitchen", loan_days=7),
    "barrow": DemoOffer("Joe", "lend", "Wheelbarrow", "garden", loan_days=10),
    "tent": DemoOffer("Bob", "lend", "Four-person tent", "sport_outdoors", loan_days=14),
    "trimmer": DemoOffer("Alice", "lend", "Hedge trimmer", "garden", loan_days=3),
    "cot": DemoOffer("Carol", "give", "Baby cot with mattress", "children", "Our youngest has moved to a bed."),
    "shelf": DemoOffer("Joe", "give", "Small bookshelf", "home"),
    "bikes": DemoOffer("Bob", "skill", "Bike repairs", "diy_help", "Punctures, brakes, gears."),
    "cv": DemoOffer("Alice", "skill", "Help with a CV", "tech_help"),
    "garden": DemoOffer("Carol", "skill", "An hour in your garden", "garden"),
    "tip": DemoOffer("Bob", "time", "Tip run on Saturday", "lifts_errands", "Room for three bags.", slots=3),
}


@dataclass(frozen=True)
class Step:
    """`who` does something to the exchange, `after_days` after it was requested."""

    after_days: float
    who: str
    do: Callable[[int, int], Awaitable[object]]  # (exchange id, acting resident id)


@dataclass(frozen=True)
class Story:
    offer: str  # an OFFERS key
    recipient: str
    days_ago: float  # when the request was made
    steps: tuple[Step, ...] = ()
    message: str = ""


def act(after_days: float, who: str, verb, **kwargs) -> Step:
    return Step(after_days, who, lambda exchange_id, acting: verb(exchange_id, acting=acting, **kwargs))


def say(after_days: float, who: str, text: str) -> Step:
    return Step(after_days, who, lambda exchange_id, acting: service.post_message(exchange_id, acting=acting, text=text))


def hand_over(after_days: float, who: str, *, due_in_days: int) -> Step:
    """Handed over, due back `due_in_days` from today (negative: already past)."""
    async def do(exchange_id: int, acting: int) -> object:
        return await service.hand_over(exchange_id, acting=acting, due_back=_today + timedelta(days=due_in_days))
    return Step(after_days, who, do)


_today = rules.today(clock.now())  # set again when seeding starts


STORIES = [
    # handed over ten days ago, due back three days ago: overdue
    Story("ladder", "Bob", 11, (
        act(0.2, "Alice", service.accept), say(0.3, "Bob", "Thanks! Could I collect it after work?"),
        act(0.4, "Alice", service.share_pickup_address), say(0.4, "Alice", "Any time after six."),
        hand_over(1, "Alice", due_in_days=-3)), "For clearing the gutters, please."),
    # requested yesterday: Alice needs to answer
    Story("drill", "Joe", 1, (), "I'm putting up shelves on Sunday, could I borrow it?"),
    # accepted, pickup address shared
    Story("pasta", "Alice", 2, (
        act(0.5, "Carol", service.accept), act(0.6, "Carol", service.share_pickup_address),
        say(0.7, "Alice", "Lovely, I'll pop round tomorrow."))),
    # on loan, due in four days
    Story("barrow", "Carol", 3, (act(0.1, "Joe", service.accept), hand_over(0.5, "Joe", due_in_days=4))),
    # given back, waiting for the lender to confirm
    Story("tent", "Alice", 12, (
        act(0.5, "Bob", service.accept), hand_over(1, "Bob", due_in_days=0), act(10, "Alice", service.mark_returned)),
        "For the Lake District weekend."),
    # completed last month
    Story("trimmer", "Carol", 30, (
        act(0.2, "Alice", service.accept), hand_over(1, "Alice", due_in_days=-27),
        act(2, "Carol", service.mark_returned), act(2.2, "Alice", service.confirm_return))),
    # a give-away with three neighbours waiting for the giver to choose
    Story("cot", "Bob", 2, (), "My sister is expecting in March."),
    Story("cot", "Joe", 1.5, (), "Would be perfect for our spare room."),
    Story("cot", "Alice", 1, (), "For my grandson's visits, if no one needs it more."),
    # given away
    Story("shelf", "Bob", 20, (act(1, "Joe", service.accept), act(3, "Bob", service.complete))),
    # help given, and help declined kindly
    Story("bikes", "Carol", 15, (act(0.5, "Bob", service.accept), act(2, "Carol", service.complete))),
    Story("bikes", "Joe", 4, (act(0.5, "Bob", service.decline, note="Sorry, away this week. Ask me again next week!"),)),
    # a place on the tip run, and another asking
    Story("tip", "Alice", 2, (act(0.3, "Bob", service.accept),), "Two bags of garden waste?"),
    Story("tip", "Joe", 1, (), "One old microwave, if there's room."),
    # cancelled after acceptance
    Story("cv", "Joe", 8, (act(0.5, "Alice", service.accept), act(2, "Joe", service.cancel, note="Got the job already!"))),
    # no answer for 14 days: expired
    Story("garden", "Bob", 20, (), "Could you help me plan a vegetable patch?"),
]


async def seed_exchanges() -> int:
    """Play every story not yet played. Returns how many exchanges were made."""
    global _today
    people = await _elm_people()
    if people is None:
        log.info("demo exchanges skipped: the Elm Street residents aren't there yet")
        return 0
    try:
        from streetshare.offers import service as offers
    except ImportError:  # pragma: no cover (the offers domain is part of the app)
        return 0
    now = clock.now()
    _today = rules.today(now)
    made = 0
    offer_ids: dict[str, int] = {}
    for story in STORIES:
        spec = OFFERS[story.offer]
        if story.offer not in offer_ids:
            offer_ids[story.offer] = await _ensure_offer(offers, spec, people[spec.owner], now)
        offer_id = offer_ids[story.offer]
        if await db.fetchval("SELECT 1 FROM exchange WHERE offer = $1 AND recipient = $2", offer_id,
                             people[story.recipient]):
            continue
        started = now - timedelta(days=story.days_ago)
        with clock.frozen_at(started):
            exchange_id = (await service.request_offer(offer_id, acting=people[story.recipient],
                                                       message=story.message)).id
        for step in story.steps:
            with clock.frozen_at(started + timedelta(days=step.after_days)):
                await step.do(exchange_id, people[step.who])
        made += 1
    # requests left unanswered for 14 days expire, as the worker would have done
    await service.expire_stale_requests(now)
    if made:
        log.info("demo exchanges made", extra={"count": made})
    return made


async def _elm_people() -> dict[str, int] | None:
    rows = await db.fetch(
        "SELECT r.id, r.display_name FROM resident r JOIN street s ON s.id = r.street "
        "WHERE r.email = ANY($1::varchar[]) AND s.name = 'Elm Street'",
        [_email(name) for name in ELM],
    )
    people = {r["display_name"]: r["id"] for r in rows}
    return people if set(people) == set(ELM) else None


async def _ensure_offer(offers, spec: DemoOffer, owner_id: int, now: datetime) -> int:
    """The demo offer, found by owner and title, else made through the offers service 40 days ago."""
    existing = await db.fetchval("SELECT id FROM offer WHERE owner = $1 AND title = $2 ORDER BY id LIMIT 1",
                                 owner_id, spec.title)
    if existing:
        return existing
    fields: dict[str, object] = {"kind": spec.kind, "title": spec.title, "category": spec.category,
                                 "description": spec.description}
    if spec.loan_days:
        fields["loan_days"] = spec.loan_days
    if spec.kind == "time":
        fields["slots"] = spec.slots or 1
        fields["starts_at"] = _next_saturday_morning(now)
    with clock.frozen_at(now - timedelta(days=40)):
        return await offers.create_offer(acting=owner_id, fields=fields)


def _next_saturday_morning(now: datetime) -> datetime:
    local = now.astimezone(rules.LOCAL_TZ)
    days = (5 - local.weekday()) % 7 or 7
    return (local + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)
