"""The fixed cast, and factories with valid defaults (see style.md).

alice lends, bob borrows, carol coordinates Elm Street, dave lives across town.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
