"""The pool releases connections without asyncpg's four reset statements (db.PooledConnection):
safe only while nothing keeps session state on a pooled connection, which these tests hold to."""

from __future__ import annotations

import asyncio
import re

from support.cast import app_client

from streetshare import db
from streetshare.paths import PROJECT_DIR
from streetshare.piccolo_conf import DB


async def test_pooled_connections_release_without_reset_statements():
    async with DB.pool.acquire() as conn:
        assert isinstance(conn, db.PooledConnection)
        assert conn.get_reset_query() == ""


async def test_a_transaction_left_open_is_still_rolled_back_on_release():
    async with DB.pool.acquire() as conn:
        await conn.execute("BEGIN")
        await conn.execute("INSERT INTO street (name, centre_lat, centre_lng) VALUES ('Left Open Road', 53.6, -1.8)")
        pid = conn.get_server_pid()
    async with DB.pool.acquire() as conn:
        assert conn.get_server_pid() == pid  # the same connection, handed out again
        assert not conn.is_in_transaction()
        assert await conn.fetchval("SELECT count(*) FROM street WHERE name = 'Left Open Road'") == 0


# Modules that keep session state on a connection they open themselves (outside the pool).
DEDICATED_CONNECTIONS = {"src/streetshare/status/live.py"}  # LISTEN street_status, one per process
SESSION_STATE = re.compile(
    r"""\bLISTEN\b|pg_advisory_lock\(|pg_advisory_lock_shared\(|\bDECLARE\b\s+\w+\s+CURSOR|"""
    r"""\.cursor\(|add_listener\(|["'(]\s*SET\s+(?!LOCAL\b)[a-z_.]+\s*(=|\bTO\b)|set_config\([^)]*false""",
    re.IGNORECASE,
)


def test_nothing_in_the_app_keeps_session_state_on_a_pooled_connection():
    found = []
    for path in sorted((PROJECT_DIR / "src" / "streetshare").rglob("*.py")):
        if path.name == "db.py":
            continue
        if path.relative_to(PROJECT_DIR).as_posix() in DEDICATED_CONNECTIONS:
            # Its session state lives on a connection of its own, never one from the pool.
            text = path.read_text()
            assert "DB.get_new_connection" in text and ".acquire(" not in text and "db.connection" not in text, path
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if SESSION_STATE.search(line):
                found.append(f"{path.relative_to(PROJECT_DIR)}:{number}: {line.strip()}")
    assert not found, "session state on a pooled connection needs the reset query back:\n" + "\n".join(found)


async def test_queries_inside_one_connection_share_one_and_give_it_back():
    free = DB.pool.get_idle_size()
    async with db.one_connection():
        pids = {await db.fetchval("SELECT pg_backend_pid()") for _ in range(5)}
        assert len(pids) == 1
    assert DB.pool.get_idle_size() >= free  # given back at the end


async def test_a_transaction_inside_never_makes_a_request_hold_two_connections():
    """More requests than the pool has connections, each reading and then writing: holding the
    shared connection while waiting for the transaction's would leave every one of them waiting."""
    await db.execute("CREATE TABLE IF NOT EXISTS t_pool_writes (n int)")

    async def request(n: int) -> None:
        async with db.one_connection():
            await db.fetchval("SELECT 1")
            await asyncio.sleep(0.01)  # all of them holding a connection at once
            async with db.transaction():
                await db.execute("INSERT INTO t_pool_writes VALUES ($1)", n)
            await db.fetchval("SELECT 1")

    try:
        await asyncio.wait_for(asyncio.gather(*(request(n) for n in range(DB.pool.get_max_size() + 5))), timeout=20)
        assert await db.fetchval("SELECT count(*) FROM t_pool_writes") == DB.pool.get_max_size() + 5
    finally:
        await db.execute("DROP TABLE t_pool_writes")


async def test_a_web_request_takes_one_connection_for_all_its_reads(settings, alice, monkeypatch):
    from support.cast import ELM_STREET, make_offer, make_street, place_resident, sign_in

    elm = await make_street("Elm Street", ELM_STREET)
    await place_resident(alice, elm)
    await make_offer(alice, title="Ladder to lend")
    taken = []

    class CountingPool:
        def __init__(self, pool):
            self._pool = pool

        def acquire(self, *args, **kwargs):
            taken.append(1)
            return self._pool.acquire(*args, **kwargs)

        def __getattr__(self, name):
            return getattr(self._pool, name)

    async with app_client(settings) as client:
        await sign_in(client, alice)
        monkeypatch.setattr(DB, "pool", CountingPool(DB.pool))
        response = await client.get("/")
        assert response.status_code == 200 and "Ladder to lend" in response.text
    assert len(taken) == 1  # the session, the street and scope, the feed: one connection
