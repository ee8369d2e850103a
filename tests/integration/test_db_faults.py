"""A connection that dies inside a transaction (the database restarted, a backend killed) is
given back to the pool and forgotten: the task goes on with a fresh connection, and the pool can
still be closed (it waits for every connection to be given back)."""

from __future__ import annotations

import asyncpg
import pytest

from streetshare import db
from streetshare.piccolo_conf import DB


async def kill_backend(database_url: str, pid: int) -> None:
    """End the server process behind connection `pid`, from a connection of its own (not the pool's)."""
    other = await asyncpg.connect(database_url)
    try:
        await other.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await other.close()


async def test_a_transaction_whose_connection_dies_gives_it_back_and_is_forgotten(database):
    in_use_before = DB.pool.get_size() - DB.pool.get_idle_size()

    with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError)):
        async with db.transaction():
            await kill_backend(database, await db.fetchval("SELECT pg_backend_pid()"))
            await db.fetchval("SELECT 1")  # the connection is gone

    assert DB.current_transaction.get() is None
    assert DB.pool.get_size() - DB.pool.get_idle_size() == in_use_before  # nothing kept
    async with db.transaction():  # this task carries on with another connection
        assert await db.fetchval("SELECT 1") == 1
