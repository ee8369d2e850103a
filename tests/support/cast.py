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


@pytest.fixture
async def alice() -> Person:
    return await make_resident("Alice")


@pytest.fixture
async def bob() -> Person:
    return await make_resident("Bob")


@pytest.fixture
async def carol() -> Person:
    return await make_resident("Carol")


@pytest.fixture
async def dave() -> Person:
    return await make_resident("Dave")


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
