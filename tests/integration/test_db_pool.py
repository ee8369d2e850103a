"""The pool releases connections without asyncpg's four reset statements (db.PooledConnection):
safe only while nothing keeps session state on a pooled connection, which these tests hold to."""

from __future__ import annotations

import re

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
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if SESSION_STATE.search(line):
                found.append(f"{path.relative_to(PROJECT_DIR)}:{number}: {line.strip()}")
    assert not found, "session state on a pooled connection needs the reset query back:\n" + "\n".join(found)
