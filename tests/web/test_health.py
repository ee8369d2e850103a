"""Health checks: /healthz says the process is alive, /readyz that the database answers."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from streetshare import db
from streetshare.web import health


async def test_healthz_says_the_process_is_alive(client):
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"status": "ok"}


async def test_readyz_says_ready_when_the_database_answers(client):
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_health_checks_are_not_cached_and_not_in_the_api_schema(client):
    response = await client.get("/readyz")
    assert "max-age" not in response.headers.get("cache-control", "")

    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert "/healthz" not in paths and "/readyz" not in paths


# The 503 branch: pointing the shared test pool at a closed port would break every other test in
# the run, so these replace db.ping (or the query it runs) for the length of one test only.


async def test_readyz_is_503_when_the_database_does_not_answer(client, monkeypatch):
    async def unreachable() -> bool:
        return False

    monkeypatch.setattr(db, "ping", unreachable)

    response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


@pytest.mark.parametrize(
    "error",
    [ConnectionRefusedError(111, "Connection refused"), asyncpg.exceptions.ConnectionDoesNotExistError("closed"),
     asyncpg.exceptions.TooManyConnectionsError("full"), asyncpg.exceptions.InterfaceError("pool is closed"),
     TimeoutError()],
)
async def test_readyz_is_503_whatever_way_the_database_fails(client, monkeypatch, error):
    async def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr(db, "fetchval", failing)

    response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


async def test_readyz_gives_up_on_a_database_that_hangs(client, monkeypatch):
    async def hangs(*args, **kwargs):
        await asyncio.sleep(60)

    monkeypatch.setattr(db, "fetchval", hangs)
    monkeypatch.setattr(health, "READY_TIMEOUT_S", 0.2)

    response = await asyncio.wait_for(client.get("/readyz"), timeout=10)

    assert response.status_code == 503


async def test_static_files_health_and_media_never_look_up_the_session(client, monkeypatch):
    from streetshare.web import auth

    looked_up = []

    async def recording(token, kind):
        looked_up.append(token)
        return None

    monkeypatch.setattr(auth, "resident_for_token", recording)
    cookie = {"Cookie": f"{auth.SESSION_COOKIE}=some-session"}
    for path in ("/static/style.css", "/healthz", "/readyz", "/media/1/0123456789abcdef/thumb.jpg"):
        await client.get(path, headers=cookie)
    assert looked_up == []
    await client.get("/", headers=cookie)
    assert looked_up == ["some-session"]
