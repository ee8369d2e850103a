"""The fixed cast, and factories with valid defaults (see style.md).

alice lends, bob borrows, carol coordinates Elm Street, dave lives across town.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from litestar.testing import AsyncTestClient

from streetshare.accounts import service as accounts

PASSWORD = "correct horse battery"


@dataclass
class Person:
    id: int
    display_name: str
    email: str
    password: str = PASSWORD


async def make_resident(name: str = "Alice", *, email: str | None = None, password: str = PASSWORD) -> Person:
    email = email or f"{name.lower()}@example.org"
    created = await accounts.sign_up(email=email, password=password, display_name=name)
    return Person(id=created.id, display_name=name, email=created.email, password=password)


# The cast: accounts written directly with one shared password hash (quick_resident); signing up
# through the accounts service has its own tests.
@pytest.fixture
async def alice() -> Person:
    return await quick_resident("Alice")


@pytest.fixture
async def bob() -> Person:
    return await quick_resident("Bob")


@pytest.fixture
async def carol() -> Person:
    return await quick_resident("Carol")


@pytest.fixture
async def dave() -> Person:
    return await quick_resident("Dave")


_CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def csrf_token(client: AsyncTestClient, path: str = "/signin") -> str:
    """The CSRF token a real browser would submit: taken from the form on `path`."""
    response = await client.get(path)
    match = _CSRF_INPUT.search(response.text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


async def post_form(client: AsyncTestClient, path: str, data: dict[str, str], *, form_page: str | None = None, **kwargs):
    """Submit a form as a browser would: with the CSRF token from the page the form is on."""
    token = await csrf_token(client, form_page or path)
    return await client.post(path, data={**data, "_csrf_token": token}, **kwargs)


async def sign_in(client: AsyncTestClient, person: Person) -> None:
    response = await post_form(client, "/signin", {"email": person.email, "password": person.password})
    assert response.status_code == 303, response.text
    assert client.cookies.get("streetshare_session")


async def api_token(client: AsyncTestClient, person: Person) -> dict[str, str]:
    response = await client.post("/api/v1/auth/token", json={"email": person.email, "password": person.password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


# ---------------------------------------------------------------- places
# Huddersfield: Elm Street and Oak Road are neighbours (about 1 km apart); Leeds is far away.
ELM_STREET = (53.6458, -1.7850)
OAK_ROAD = (53.6540, -1.7800)
LEEDS = (53.7997, -1.5492)


@dataclass
class StreetRef:
    id: int
    name: str
    lat: float
    lng: float


async def make_street(name: str = "Elm Street", at: tuple[float, float] = ELM_STREET, *, radius_m: int = 800,
                      coordinator: Person | None = None) -> StreetRef:
    """A street (written directly: the factory must not depend on the service under test)."""
    from streetshare import clock, db

    street_id = await db.fetchval(
        "INSERT INTO street (name, centre_lat, centre_lng, radius_m, created_by, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        name, at[0], at[1], radius_m, coordinator.id if coordinator else None, clock.now(),
    )
    if coordinator:
        await db.execute(
            "INSERT INTO street_coordinator (street, resident, appointed_at) VALUES ($1, $2, $3)",
            street_id, coordinator.id, clock.now(),
        )
        await place_resident(coordinator, StreetRef(street_id, name, *at))
    return StreetRef(street_id, name, *at)


async def place_resident(person: Person, street: StreetRef, *, home: tuple[float, float] | None = None,
                         looks_at: str = "nearby") -> None:
    """Give a resident a home point (default: 150 m north of the street's centre) on `street`."""
    from streetshare import clock, db

    lat, lng = home or (street.lat + 0.00135, street.lng)
    await db.execute(
        "UPDATE resident SET home_lat = $2, home_lng = $3, street = $4, street_joined_at = $5, looks_at = $6 "
        "WHERE id = $1",
        person.id, lat, lng, street.id, clock.now(), looks_at,
    )


# ---------------------------------------------------------------- HTTP clients
@asynccontextmanager
async def app_client(settings, *, app=None) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client into a fresh app (or `app`) built from `settings`, on the test's own event loop.

    httpx's ASGITransport calls the app in this loop, where the session's asyncpg pool lives.
    (Litestar's AsyncTestClient runs the app in a thread with its own loop, where that pool
    cannot be used.) The base URL follows settings.base_url's scheme, so Secure cookies come back.
    """
    from streetshare.app import create_app

    app = app or create_app(settings, manage_pool=False)
    scheme = "https" if settings.https else "http"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"{scheme}://testserver.local") as c:
        yield c


# Each of the cast signed in on a client of their own (for tests where two people take turns).
@pytest.fixture
async def as_alice(settings, alice):
    async with app_client(settings) as c:
        await sign_in(c, alice)
        yield c


@pytest.fixture
async def as_bob(settings, bob):
    async with app_client(settings) as c:
        await sign_in(c, bob)
        yield c


@pytest.fixture
async def as_carol(settings, carol):
    async with app_client(settings) as c:
        await sign_in(c, carol)
        yield c


@pytest.fixture
async def as_dave(settings, dave):
    async with app_client(settings) as c:
        await sign_in(c, dave)
        yield c


# ---------------------------------------------------------------- exchanges: offers and asks to exchange about
async def insert_offer(owner: Person, street: StreetRef, *, kind: str = "lend", title: str | None = None,
                       status: str = "active", loan_days: int | None = None, slots: int | None = None,
                       neighbours_may_see: bool = True, category: str = "tools") -> int:
    """An offer row (written directly: exchange tests must not depend on the offers service)."""
    from streetshare import clock, db

    return await db.fetchval(
        "INSERT INTO offer (owner, street, kind, title, category, status, neighbours_may_see, loan_days, slots, "
        "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
        owner.id, street.id, kind, title or f"{owner.display_name}'s {kind} offer", category, status,
        neighbours_may_see, loan_days, slots, clock.now(),
    )


async def insert_ask(owner: Person, street: StreetRef, *, help_kind: str = "borrow", title: str | None = None,
                     status: str = "open", category: str = "tools") -> int:
    """An ask row (written directly), open for 30 days."""
    from datetime import timedelta

    from streetshare import clock, db

    return await db.fetchval(
        "INSERT INTO ask (owner, street, title, category, help_kind, expires_at, status, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        owner.id, street.id, title or f"{owner.display_name} needs help", category, help_kind,
        clock.now() + timedelta(days=30), status, clock.now(),
    )


# ---------------------------------------------------------------- offers and asks (through their services)
async def make_offer(person: Person, *, kind: str = "lend", title: str = "Ladder to lend", category: str = "tools",
                     **fields) -> int:
    """An offer made by `person` on their home street, with valid defaults for its kind."""
    from datetime import timedelta

    from streetshare import clock
    from streetshare.offers import service

    if kind == "time":
        fields.setdefault("starts_at", clock.now() + timedelta(days=2))
    return await service.create_offer(acting=person.id, fields={"kind": kind, "title": title, "category": category,
                                                                **fields})


async def make_ask(person: Person, *, title: str = "Can anyone lend a ladder?", category: str = "tools",
                   help_kind: str = "borrow", **fields) -> int:
    """An open ask made by `person` on their home street."""
    from streetshare.asks import service

    return await service.create_ask(acting=person.id, fields={"title": title, "category": category,
                                                              "help_kind": help_kind, **fields})


async def block(blocker: Person, blocked: Person) -> None:
    """`blocker` blocks `blocked` (written directly; blocking is built elsewhere)."""
    from streetshare import clock, db

    await db.execute("INSERT INTO resident_block (blocker, blocked, created_at) VALUES ($1, $2, $3)",
                     blocker.id, blocked.id, clock.now())


def photo_bytes(fmt: str = "JPEG", size: tuple[int, int] = (800, 600), colour: tuple[int, int, int] = (200, 120, 60),
                **save) -> bytes:
    """A small image file, as a phone would upload it."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt, **save)
    return out.getvalue()


# ---------------------------------------------------------------- coordinators: a street's history, backdated
async def history_offer(owner: Person, street: StreetRef, *, kind: str = "lend", category: str = "tools",
                        title: str | None = None, status: str = "active", created_at=None) -> int:
    """An offer row created at `created_at` (default now), written directly."""
    from streetshare import clock, db

    at = created_at or clock.now()
    return await db.fetchval(
        "INSERT INTO offer (owner, street, kind, title, category, status, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        owner.id, street.id, kind, title or f"{owner.display_name}'s {kind} offer", category, status, at,
    )


async def history_ask(owner: Person, street: StreetRef, *, title: str | None = None, category: str = "tools",
                      help_kind: str = "borrow", status: str = "open", created_at=None, needed_by=None) -> int:
    """An ask row created at `created_at` (default now), open for 60 days from then, written directly."""
    from datetime import timedelta

    from streetshare import clock, db

    at = created_at or clock.now()
    return await db.fetchval(
        "INSERT INTO ask (owner, street, title, category, help_kind, needed_by, expires_at, status, created_at, "
        "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
        owner.id, street.id, title or f"{owner.display_name} needs help", category, help_kind, needed_by,
        at + timedelta(days=60), status, at,
    )


async def history_exchange(*, provider: Person, recipient: Person, offer: int | None = None, ask: int | None = None,
                           kind: str = "lend", state: str = "requested", requested_at=None, completed_at=None,
                           due_back=None) -> int:
    """An exchange row in `state` (written directly, with its timestamps), for dashboards and reports."""
    from streetshare import clock, db

    at = requested_at or clock.now()
    ended = completed_at if state == "completed" else (at if state in ("declined", "cancelled", "expired") else None)
    accepted = at if state in ("accepted", "handed_over", "returned", "completed") else None
    handed = at if state in ("handed_over", "returned") or (state == "completed" and kind == "lend") else None
    return await db.fetchval(
        """
        INSERT INTO exchange (offer, ask, offer_kind, provider, recipient, started_by, state, due_back, requested_at,
                              updated_at, accepted_at, handed_over_at, completed_at, ended_at)
        VALUES ($1, $2, $3, $4, $5, 'recipient', $6, $7, $8, $8, $9, $10, $11, $12)
        RETURNING id
        """,
        offer, ask, kind, provider.id, recipient.id, state, due_back, at, accepted, handed, completed_at, ended,
    )


_PASSWORD_HASHES: dict[str, str] = {}


async def quick_resident(name: str, *, email: str | None = None, password: str = PASSWORD) -> Person:
    """Like make_resident, but hashes the password once per run (argon2 is slow by design; a test
    that needs a crowd, or races, should not spend seconds on it). Signs in like any other resident."""
    from streetshare import clock, db
    from streetshare.accounts.passwords import hash_password

    if password not in _PASSWORD_HASHES:
        _PASSWORD_HASHES[password] = hash_password(password)
    email = email or f"{name.lower().replace(' ', '.')}@example.org"
    resident_id = await db.fetchval(
        "INSERT INTO resident (email, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        email, name, _PASSWORD_HASHES[password], clock.now(),
    )
    return Person(id=resident_id, display_name=name, email=email, password=password)
