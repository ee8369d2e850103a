"""Live street status: ONE PostgreSQL connection per app process LISTENs on `street_status` and
fans each notification out to the open status pages of that street, in this process.

The service says `pg_notify('street_status', '<street id>')` in the transaction of every change
(status/service.py), so a notification arrives after commit and only then. Here:

- `StatusListener` keeps one dedicated asyncpg connection (not a pooled one: LISTEN is session
  state, and the pool's connections are reset for nobody's session). It is started and stopped
  with the app (app.py). If the connection drops (PostgreSQL restarts, a network cut) it connects
  again, with a growing pause, and then tells every subscriber "something may have changed", since
  notifications sent while it was away are lost.
- A browser's stream (`events`) subscribes to one street: a flag that a notification sets, so a
  burst of answers (a whole street reporting a power cut within a minute) becomes one event per
  `min_gap_s`, never a queue that grows. Between events the stream sends a comment every
  `keepalive_s` so proxies keep it open; it ends when the client goes (Litestar cancels it), when
  the app stops, or after `max_age_s` (the browser reconnects by itself and is checked again).
- No stream holds a database connection while it waits (`without_shared_connection`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
from litestar.response import ServerSentEventMessage
from litestar.types import ASGIApp, Receive, Scope, Send

from streetshare.piccolo_conf import DB
from streetshare.status.service import CHANNEL

log = logging.getLogger(__name__)

# Pauses before connecting again after the listening connection failed (the last one repeats).
RECONNECT_PAUSES_S = (0.2, 1.0, 2.0, 5.0, 10.0)
# How often an idle listening connection is asked a question, so that a silent cut is noticed.
CHECK_EVERY_S = 30.0
KEEPALIVE_S = 20.0
MIN_GAP_S = 2.0  # a whole street answering within a minute is one page refresh every 2 s, not hundreds
MAX_AGE_S = 15 * 60.0
RETRY_MS = 3000  # how long a browser waits before reconnecting a stream that ended

STREAM_PATH = re.compile(r"^/streets/[0-9]+/status/events$")


@dataclass(eq=False)
class Subscription:
    """One open stream's interest in one street."""

    street_id: int
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    ended: bool = False


class StatusListener:
    """LISTEN street_status on one connection; wake the subscribers of the street named in each payload."""

    def __init__(self, connect: Callable[[], Awaitable[asyncpg.Connection]] | None = None, *,
                 channel: str = CHANNEL, pauses_s: tuple[float, ...] = RECONNECT_PAUSES_S,
                 check_every_s: float = CHECK_EVERY_S) -> None:
        self._connect = connect or DB.get_new_connection
        self.channel = channel
        self.pauses_s = pauses_s
        self.check_every_s = check_every_s
        self._subscribers: dict[int, set[Subscription]] = {}
        self._task: asyncio.Task | None = None
        self._conn: asyncpg.Connection | None = None
        self.connected = asyncio.Event()  # set while LISTENing
        self.connections_made = 0  # how many times it has connected (1 + reconnections)

    # ------------------------------------------------------------ lifecycle
    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if not self.running:
            self._task = asyncio.create_task(self._run(), name="street-status-listener")

    async def stop(self) -> None:
        """Stop listening, close the connection, and end every open stream."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for subscriptions in list(self._subscribers.values()):
            for sub in subscriptions:
                sub.ended = True
                sub.changed.set()
        self._subscribers.clear()

    async def _run(self) -> None:
        failures = 0
        while True:
            try:
                conn = await self._connect()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 (the database out of reach: try again later)
                pause = self.pauses_s[min(failures, len(self.pauses_s) - 1)]
                failures += 1
                log.warning("street status listener cannot connect (%s); trying again in %.1f s",
                            type(exc).__name__, pause)
                await asyncio.sleep(pause)
                continue
            self._conn = conn
            try:
                await self._listen(conn)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 (the connection died under us)
                log.warning("street status listener lost its connection (%s)", type(exc).__name__)
            finally:
                self.connected.clear()
                self._conn = None
                with contextlib.suppress(Exception):
                    conn.terminate()
            failures = 0
            await asyncio.sleep(self.pauses_s[0])

    async def _listen(self, conn: asyncpg.Connection) -> None:
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(self.channel, self._on_notification)
        self.connections_made += 1
        self.connected.set()
        if self.connections_made > 1:
            log.info("street status listener connected again")
            self._wake_everyone()  # what was said while it was away is lost: every page looks again
        while not lost.is_set():
            try:
                await asyncio.wait_for(lost.wait(), self.check_every_s)
            except TimeoutError:
                await asyncio.wait_for(conn.fetchval("SELECT 1"), timeout=10)
        raise ConnectionError("the listening connection closed")

    def _on_notification(self, _conn: asyncpg.Connection, _pid: int, _channel: str, payload: str) -> None:
        try:
            street_id = int(payload)
        except ValueError:
            log.warning("street status notification with a payload that is not a street id")
            return
        for sub in self._subscribers.get(street_id, ()):
            sub.changed.set()

    def _wake_everyone(self) -> None:
        for subscriptions in self._subscribers.values():
            for sub in subscriptions:
                sub.changed.set()

    # ------------------------------------------------------------ subscribers
    @contextlib.asynccontextmanager
    async def subscribe(self, street_id: int) -> AsyncIterator[Subscription]:
        sub = Subscription(street_id)
        self._subscribers.setdefault(street_id, set()).add(sub)
        try:
            yield sub
        finally:
            subscriptions = self._subscribers.get(street_id)
            if subscriptions is not None:
                subscriptions.discard(sub)
                if not subscriptions:
                    del self._subscribers[street_id]

    def subscribers(self, street_id: int | None = None) -> int:
        """How many streams wait on `street_id` (on every street when None)."""
        if street_id is not None:
            return len(self._subscribers.get(street_id, ()))
        return sum(len(s) for s in self._subscribers.values())


async def events(listener: StatusListener, street_id: int, *, version: str,
                 keepalive_s: float = KEEPALIVE_S, min_gap_s: float = MIN_GAP_S,
                 max_age_s: float = MAX_AGE_S) -> AsyncIterator[ServerSentEventMessage]:
    """A browser's stream of the street's changes: first `status` with the version the stream started
    at (the page compares it with its own, for a change made between rendering and connecting), then
    `status` each time the street's status changed, no more often than every `min_gap_s`."""
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + max_age_s
    async with listener.subscribe(street_id) as sub:
        yield ServerSentEventMessage(event="status", data=version, retry=RETRY_MS)
        while not sub.ended:
            left = ends_at - loop.time()
            if left <= 0:
                return
            try:
                await asyncio.wait_for(sub.changed.wait(), min(keepalive_s, left))
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive", data=None)
                continue
            if sub.ended:
                return
            sub.changed.clear()
            yield ServerSentEventMessage(event="status", data="changed")
            await asyncio.sleep(min_gap_s)  # answers arriving meanwhile are one event, not many


def without_shared_connection(app: ASGIApp, shared: ASGIApp) -> ASGIApp:
    """ASGI: requests go to `shared` (which shares one pooled connection per request, held until the
    answer is sent: db.shared_connection_per_request), except status streams, which go straight to
    `app`: a stream is open for minutes, and holding a pooled connection for each open page would
    empty the pool. Their few queries take a connection each and give it back at once."""

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and STREAM_PATH.match(scope.get("path", "")):
            await app(scope, receive, send)
        else:
            await shared(scope, receive, send)

    return route
