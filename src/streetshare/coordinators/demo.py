"""Demo history for Elm Street, so that its coordinator (Carol) sees a dashboard with something on it:
six months of offers, asks and exchanges (backdated), asks no one has answered yet, an overdue loan,
neighbours who opted in to "check on me" and to the top sharers, and two open reports.

Written directly with past timestamps (the services stamp "now"), after the places seeder made the
street and its residents. Idempotent: when the history's first neighbour already has offers, nothing
is done; without Carol's Elm Street (or the exchange table), nothing is done either.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from streetshare import clock, db
from streetshare.settings import Settings

log = logging.getLogger(__name__)

CAROL = "carol@demo.streetshare.local"
# Neighbours who make up Elm Street's history (display name, lives this far from the centre in degrees).
NEIGHBOURS = ["Margaret", "Harun", "Ellie", "Kwame", "Rosa", "Ted", "Nadia", "Owen", "Fatima", "George"]
WEEKS = 26

OFFERS = [
    ("lend", "tools", "Hedge cutters"), ("lend", "diy_help", "Step ladder"), ("lend", "kitchen", "Slow cooker"),
    ("lend", "sport_outdoors", "Camping stove"), ("lend", "garden", "Lawn scarifier"), ("lend", "tools", "Jigsaw"),
    ("give", "children", "Box of children's books"), ("give", "home", "Spare duvet"), ("give", "garden", "Tomato seedlings"),
    ("give", "clothes", "Winter coat, size 12"), ("skill", "tech_help", "Help setting up a phone"),
    ("skill", "diy_help", "Putting up shelves"), ("time", "lifts_errands", "Tip run on Saturday"),
    ("time", "pets", "Dog walking while you're away"), ("lend", "books_media", "Board games"),
    ("give", "kitchen", "Jam jars"), ("lend", "garden", "Pressure washer"), ("skill", "other", "Sewing repairs"),
]
ASKS = [
    ("tools", "borrow", "Can anyone lend a drill?"), ("lifts_errands", "time", "Lift to the hospital on Tuesday"),
    ("garden", "borrow", "Wheelbarrow for a weekend"), ("children", "receive", "High chair"),
    ("tech_help", "skill", "Help with online banking"), ("home", "receive", "Spare chairs for a party"),
    ("pets", "time", "Someone to feed the cat"), ("diy_help", "skill", "Fixing a dripping tap"),
]
UNMET = [
    ("lifts_errands", "time", "Lift to the station early on Monday", 23),
    ("garden", "borrow", "Long-reach loppers for the apple tree", 16),
    ("tech_help", "skill", "Someone to look at a slow laptop", 11),
    ("kitchen", "receive", "Jam jars with lids", 9),
]


async def seed_coordinator_demo(settings: Settings) -> None:
    """Backdated history for Carol's Elm Street. Safe to run on every start."""
    if not await db.fetchval("SELECT to_regclass('exchange') IS NOT NULL"):
        return
    street = await db.fetchrow(
        """
        SELECT s.id, s.centre_lat, s.centre_lng FROM street s
        JOIN street_coordinator c ON c.street = s.id JOIN resident r ON r.id = c.resident
        WHERE r.email = $1 AND s.name = 'Elm Street' ORDER BY s.id LIMIT 1
        """,
        CAROL,
    )
    if street is None:
        log.info("coordinator demo skipped: Carol's Elm Street is not there")
        return
    people = await _neighbours(street)
    if await db.fetchval("SELECT 1 FROM offer WHERE owner = $1 LIMIT 1", people[0]):
        return  # already seeded
    now = clock.now()
    rng = random.Random(7)
    start = now - timedelta(weeks=WEEKS)
    await db.execute("UPDATE street SET created_at = least(created_at, $2) WHERE id = $1", street["id"],
                     start - timedelta(days=3))
    for i, resident in enumerate(people):
        await db.execute("UPDATE resident SET street_joined_at = $2, created_at = least(created_at, $2) WHERE id = $1",
                         resident, start + timedelta(days=i * 12))
    async with db.transaction():
        offers = await _offers(street["id"], people, start, rng)
        await _exchanges(offers, people, now, rng)
        await _asks(street["id"], people, offers, now, rng)
        await _overdue_loan(offers, people, now)
        await _opt_ins(people, now)
        await _reports(street["id"], people, offers)
    log.info("coordinator demo history seeded", extra={"street_id": street["id"]})


async def _neighbours(street) -> list[int]:
    """The history's residents, made (through the accounts and places services) when missing."""
    from streetshare.demo import DemoAccount, ensure_resident
    from streetshare.places import queries as places, service as places_service

    ids = []
    for n, name in enumerate(NEIGHBOURS):
        resident = await ensure_resident(DemoAccount(f"{name.lower()}@demo.streetshare.local", name, "neighbour"))
        if not await places.has_home(resident):
            await places_service.set_home(acting=resident, lat=street["centre_lat"] + 0.0007 * ((n % 5) - 2),
                                          lng=street["centre_lng"] + 0.0009 * ((n % 3) - 1), address=None)
        if await places.home_street(resident) is None:
            await places_service.join_street(acting=resident, street_id=street["id"])
        ids.append(resident)
    return ids


async def _offers(street_id: int, people: list[int], start, rng) -> list[tuple[int, int, str]]:
    made = []
    for i, (kind, category, title) in enumerate(OFFERS):
        owner = people[i % len(people)]
        created = start + timedelta(days=rng.randint(0, WEEKS * 7 - 20))
        status = "gone" if kind == "give" and i % 2 == 0 else "active"
        offer = await db.fetchval(
            "INSERT INTO offer (owner, street, kind, title, category, status, loan_days, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
            owner, street_id, kind, title, category, status, 7 if kind == "lend" else None, created,
        )
        made.append((offer, owner, kind))
    return made


async def _exchange(offer: int | None, ask: int | None, kind: str, provider: int, recipient: int, state: str,
                    requested_at, finished_at=None, due_back=None) -> int:
    accepted = requested_at + timedelta(hours=5) if state in ("accepted", "handed_over", "completed") else None
    exchange = await db.fetchval(
        """
        INSERT INTO exchange (offer, ask, offer_kind, provider, recipient, started_by, state, due_back, requested_at,
                              updated_at, accepted_at, handed_over_at, completed_at, ended_at)
        VALUES ($1, $2, $3, $4, $5, 'recipient', $6, $7, $8, $8, $9, $10, $11, $12) RETURNING id
        """,
        offer, ask, kind, provider, recipient, state, due_back, requested_at, accepted,
        accepted if kind == "lend" and state in ("handed_over", "completed") else None,
        finished_at if state == "completed" else None, finished_at if state != "handed_over" else None,
    )
    await db.execute(
        "INSERT INTO exchange_event (exchange, action, actor, from_state, to_state, at) "
        "VALUES ($1, 'request', $2, NULL, 'requested', $3)",
        exchange, recipient, requested_at,
    )
    if accepted:
        await db.execute(
            "INSERT INTO exchange_event (exchange, action, actor, from_state, to_state, at) "
            "VALUES ($1, 'accept', $2, 'requested', 'accepted', $3)",
            exchange, provider, accepted,
        )
    if state in ("completed", "declined", "cancelled", "expired") and finished_at:
        action = {"completed": "complete", "declined": "decline", "cancelled": "cancel", "expired": "expire"}[state]
        await db.execute(
            "INSERT INTO exchange_event (exchange, action, actor, from_state, to_state, at) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            exchange, action, None if state == "expired" else provider,
            "accepted" if state == "completed" else "requested", state, finished_at,
        )
    return exchange


async def _exchanges(offers, people, now, rng) -> None:
    """Two or three exchanges a week for six months, most of them completed."""
    for week in range(WEEKS, 0, -1):
        for _ in range(rng.randint(1, 4)):
            offer, provider, kind = rng.choice(offers)
            if kind == "give":
                continue  # give-aways are handed on once; the seeded ones stay simple
            recipient = rng.choice([p for p in people if p != provider])
            requested = now - timedelta(weeks=week) + timedelta(days=rng.randint(0, 6), hours=rng.randint(8, 20))
            if requested > now - timedelta(days=1):
                continue
            state = rng.choices(["completed", "declined", "cancelled", "expired"], [14, 2, 2, 1])[0]
            finished = requested + timedelta(days=rng.randint(1, 9), hours=rng.randint(0, 12))
            await _exchange(offer, None, kind, provider, recipient, state, requested, min(finished, now))


async def _asks(street_id: int, people, offers, now, rng) -> None:
    for i, (category, help_kind, title) in enumerate(ASKS):
        created = now - timedelta(days=rng.randint(20, WEEKS * 7 - 10))
        owner = people[(i * 3) % len(people)]
        ask = await db.fetchval(
            "INSERT INTO ask (owner, street, title, category, help_kind, expires_at, status, created_at, updated_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, 'fulfilled', $7, $7) RETURNING id",
            owner, street_id, title, category, help_kind, created + timedelta(days=30), created,
        )
        helper = rng.choice([p for p in people if p != owner])
        kind = {"borrow": "lend", "receive": "give"}.get(help_kind, help_kind)
        await _exchange(None, ask, kind if kind != "give" else "skill", helper, owner, "completed",
                        created + timedelta(hours=rng.randint(3, 60)), created + timedelta(days=rng.randint(2, 6)))
    for i, (category, help_kind, title, days) in enumerate(UNMET):
        created = now - timedelta(days=days, hours=3)
        await db.execute(
            "INSERT INTO ask (owner, street, title, category, help_kind, needed_by, expires_at, status, created_at, "
            "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $8)",
            people[(i * 2 + 1) % len(people)], street_id, title, category, help_kind,
            (now + timedelta(days=5)).date() if i == 0 else None, now + timedelta(days=30), created,
        )


async def _overdue_loan(offers, people, now) -> None:
    offer, provider, kind = next(o for o in offers if o[2] == "lend")
    recipient = next(p for p in people if p != provider)
    if await db.fetchval("SELECT 1 FROM exchange WHERE offer = $1 AND state IN ('accepted', 'handed_over', 'returned')",
                         offer):
        return
    await _exchange(offer, None, kind, provider, recipient, "handed_over", now - timedelta(days=15),
                    due_back=(now - timedelta(days=4)).date())


async def _opt_ins(people, now) -> None:
    for resident in people[:2]:  # two neighbours who asked to be checked on, not seen for a while
        await db.execute(
            "INSERT INTO care_preference (resident, check_on_me, check_after_days, show_as_sharer, updated_at) "
            "VALUES ($1, true, 7, false, $2) ON CONFLICT (resident) DO NOTHING",
            resident, now,
        )
        await db.execute("UPDATE resident SET last_seen_at = $2 WHERE id = $1", resident, now - timedelta(days=12))
    for resident in people[2:6]:
        await db.execute(
            "INSERT INTO care_preference (resident, check_on_me, check_after_days, show_as_sharer, updated_at) "
            "VALUES ($1, false, 7, true, $2) ON CONFLICT (resident) DO NOTHING",
            resident, now,
        )


async def _reports(street_id: int, people, offers) -> None:
    offer, owner, _ = offers[-1]
    reporter = next(p for p in people if p != owner)
    await db.execute(
        "INSERT INTO report (reporter, street, target_kind, target_id, reason, created_at) "
        "VALUES ($1, $2, 'offer', $3, $4, $5) ON CONFLICT DO NOTHING",
        reporter, street_id, offer, "They asked me for £10. I thought everything here was free?",
        clock.now() - timedelta(days=1),
    )
    exchange = await db.fetchrow(
        "SELECT e.id, e.recipient FROM exchange e JOIN offer o ON o.id = e.offer "
        "WHERE o.street = $1 AND e.state = 'handed_over' ORDER BY e.id LIMIT 1",
        street_id,
    )
    if exchange:
        await db.execute(
            "INSERT INTO report (reporter, street, target_kind, target_id, reason, created_at) "
            "VALUES ($1, $2, 'exchange', $3, $4, $5) ON CONFLICT DO NOTHING",
            exchange["recipient"], street_id, exchange["id"],
            "I've tried to return it twice but nobody answers the door.", clock.now() - timedelta(hours=6),
        )
