"""When PostgreSQL goes away, pages answer 503 with Retry-After (a kind page; JSON on the API), /readyz
says not ready, and everything comes back when the database does.

The app's pool reaches the real test database through a small relay, over TCP (a server elsewhere) or
a Unix socket (the embedded PostgreSQL of the demo); "PostgreSQL goes away" is the relay cutting every
connection and refusing new ones (over TCP) or its socket file vanishing (as a stopped PostgreSQL's does).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
from support.cast import api_token, sign_in

from streetshare import db
from streetshare.piccolo_conf import DB

PAGES = ["/", "/mine", "/exchanges", "/notifications", "/account", "/coordinate", "/offers/1", "/residents/1",
         "/streets/1", "/no-such-page"]
API = ["/api/v1/me", "/api/v1/feed", "/api/v1/exchanges", "/api/v1/offers/1"]


class Relay:
    """A relay to the real PostgreSQL that can be cut (every connection dropped, new ones refused)."""

    def __init__(self, database_url: str, socket_dir: Path | None = None) -> None:
        parts = urlsplit(database_url)
        host = parse_qs(parts.query).get("host", [parts.hostname or "localhost"])[0]
        self.unix = f"{host}/.s.PGSQL.{parts.port or 5432}" if host.startswith("/") else None
        self.target = (host, parts.port or 5432)
        self.url = parts
        self.socket_dir = socket_dir  # listen on a Unix socket there, rather than on a TCP port
        self.port = 0
        self.server: asyncio.AbstractServer | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    @property
    def dsn(self) -> str:
        user = self.url.username or ""
        password = f":{self.url.password}" if self.url.password else ""
        if self.socket_dir:
            return urlunsplit(("postgresql", f"{user}{password}@", self.url.path,
                               f"host={self.socket_dir}&port=5999", ""))
        return urlunsplit(("postgresql", f"{user}{password}@127.0.0.1:{self.port}", self.url.path, "", ""))

    async def start(self) -> None:
        if self.socket_dir:
            self.server = await asyncio.start_unix_server(self._serve, self.socket_dir / ".s.PGSQL.5999")
            return
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """PostgreSQL is gone: no new connections, and the open ones are dropped."""
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        await self.server.wait_closed()
        self.server = None
        if self.socket_dir:  # a PostgreSQL that stops takes its socket file with it
            (self.socket_dir / ".s.PGSQL.5999").unlink(missing_ok=True)

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if self.unix:
            server_r, server_w = await asyncio.open_unix_connection(self.unix)
        else:
            server_r, server_w = await asyncio.open_connection(*self.target)
        self.writers |= {client_w, server_w}
        await asyncio.gather(self._pipe(client_r, server_w), self._pipe(server_r, client_w))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.writers.discard(writer)
            writer.transport.abort()


@pytest.fixture(params=["tcp", "unix socket"])
async def relay(request, database_url, tmp_path):
    """The app's pool (the module-level one every query uses) goes through the relay for this test."""
    relay = Relay(database_url, tmp_path if request.param == "unix socket" else None)
    await relay.start()
    saved_pool, saved_config = DB.pool, DB.config
    DB.pool, DB.config = None, {"dsn": relay.dsn}
    await db.open_pool(1, 4)
    try:
        yield relay
    finally:
        if DB.pool is not None:
            DB.pool.terminate()
        DB.pool, DB.config = saved_pool, saved_config
        if relay.server is not None:
            await relay.cut()


def assert_unavailable_page(response) -> None:
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    assert response.headers["content-type"].startswith("text/html")
    assert '<header class="site-header">' in response.text and "Error 503" in response.text
    assert "try again in a minute" in response.text
    assert "Traceback" not in response.text


async def test_pages_answer_503_with_retry_after_while_the_database_is_gone(client, alice, relay):
    await sign_in(client, alice)
    assert (await client.get("/account")).status_code == 200

    await relay.cut()

    for path in PAGES:
        response = await client.get(path)
        if path.startswith("/no-such-page"):
            assert response.status_code == 404  # nothing to do with the database: still the truth
            continue
        assert_unavailable_page(response), path


async def test_signing_in_while_the_database_is_gone_is_the_503_page(client, alice, relay):
    signin_page = await client.get("/signin")
    await relay.cut()

    response = await client.post("/signin", data={"email": alice.email, "password": alice.password,
                                                  "_csrf_token": _csrf_from(signin_page.text)})

    assert_unavailable_page(response)


def _csrf_from(html: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', html).group(1)


async def test_api_answers_json_503_with_retry_after_while_the_database_is_gone(client, alice, relay):
    headers = await api_token(client, alice)
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200

    await relay.cut()

    for path in API:
        response = await client.get(path, headers=headers)
        assert response.status_code == 503, path
        assert response.headers["retry-after"].isdigit()
        assert set(response.json()) == {"detail"}
    response = await client.post("/api/v1/auth/token", json={"email": alice.email, "password": alice.password})
    assert response.status_code == 503


async def test_readyz_says_not_ready_while_the_database_is_gone_and_ready_once_back(client, alice, relay):
    assert (await client.get("/readyz")).status_code == 200

    await relay.cut()
    gone = await client.get("/readyz")
    await relay.start()  # the same port: PostgreSQL is back
    back = await client.get("/readyz")

    assert gone.status_code == 503 and gone.json()["database"] == "unreachable"
    assert back.status_code == 200


async def test_pages_work_again_once_the_database_is_back(client, alice, relay):
    await sign_in(client, alice)
    await relay.cut()
    assert (await client.get("/account")).status_code == 503

    await relay.start()

    with contextlib.suppress(Exception):
        await client.get("/account")  # the first request may still meet a connection cut before
    assert (await client.get("/account")).status_code == 200
