"""The demo looks addresses up with the real geocoder (Nominatim) when it answers, and still finds
its own area when it does not: a newcomer without internet can type the postcode the page suggests.

No test reaches the internet: "Nominatim" is a local HTTP server (one that answers, one that
answers 503, one that never answers) or a local port nothing listens on.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from support.cast import ELM_STREET, app_client, make_street, post_form, sign_in

from streetshare import db
from streetshare.places.geocoding import FAKE_PLACES

UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b")

# What our local "Nominatim" knows: a query word -> its answer (Nominatim's /search JSON).
REAL_PLACES = {
    "hd1 2qa": {"lat": "53.6461", "lon": "-1.7853", "display_name": "Ramsden Street, Huddersfield, HD1 2QA, United Kingdom"},
    "acacia": {"lat": "53.6471", "lon": "-1.7901", "display_name": "12 Acacia Avenue, Huddersfield, HD1 4AB, United Kingdom"},
}


class FakeNominatim(BaseHTTPRequestHandler):
    queries: list[str]
    status: int

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        url = urlsplit(self.path)
        query = parse_qs(url.query).get("q", [""])[0]
        self.queries.append(query)
        if self.status != 200:
            body = b"Service Unavailable"
        else:
            found = [
                {**answer, "place_id": n, "address": {"country_code": "gb"}}
                for n, (word, answer) in enumerate(REAL_PLACES.items())
                if url.path == "/search" and word in query.casefold()
            ]
            body = json.dumps(found).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def nominatim(status: int = 200) -> Iterator[tuple[str, list[str]]]:
    """A local Nominatim at http://127.0.0.1:port answering `status`; yields (address, queries it got)."""
    queries: list[str] = []
    handler = type("Handler", (FakeNominatim,), {"queries": queries, "status": status})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", queries
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_server() -> Iterator[tuple[str, list[str]]]:
    """A server that accepts connections, reads each request and never says a word; yields (address,
    the query of every request it got: one per connection)."""
    queries: list[str] = []
    connections: list[socket.socket] = []
    stop = threading.Event()

    def read(connection: socket.socket) -> None:
        head = b""
        with contextlib.suppress(OSError):
            while b"\r\n" not in head and (chunk := connection.recv(4096)):
                head += chunk
        target = head.split(b" ")[1].decode() if head.count(b" ") >= 2 else ""
        queries.append(parse_qs(urlsplit(target).query).get("q", [""])[0])

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        sock.settimeout(0.05)

        def accept() -> None:
            while not stop.is_set():
                try:
                    connection = sock.accept()[0]
                except TimeoutError:
                    continue
                connection.settimeout(5)
                connections.append(connection)
                threading.Thread(target=read, args=(connection,), daemon=True).start()

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{sock.getsockname()[1]}", queries
        finally:
            stop.set()
            thread.join()
            for connection in connections:
                connection.close()


@contextmanager
def never_answers() -> Iterator[str]:
    with silent_server() as (address, _):
        yield address


@contextmanager
def nothing_listens() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    yield f"http://127.0.0.1:{port}"


@contextmanager
def answers_503() -> Iterator[str]:
    with nominatim(status=503) as (address, _):
        yield address


@pytest.fixture(params=[nothing_listens, answers_503, never_answers])
def unreachable(request: pytest.FixtureRequest) -> Iterator[str]:
    with request.param() as address:
        yield address


def demo(settings, geocoder_domain: str):
    """What `streetshare demo` runs with, its Nominatim at `geocoder_domain` (a short timeout for the tests)."""
    return settings.with_(mode="demo", geocoder="nominatim", geocoder_domain=geocoder_domain, geocoder_timeout_s=1)


async def _look_up(client, address: str):
    return await post_form(client, "/places/home/address", {"address": address}, form_page="/places/home")


async def _home(person) -> tuple[float, float]:
    row = await db.fetchrow("SELECT home_lat, home_lng FROM resident WHERE id = $1", person.id)
    return row["home_lat"], row["home_lng"]


def _offline_place(postcode: str):
    (place,) = [p for p in FAKE_PLACES.values() if p.label.endswith(postcode)]
    return place


async def test_demo_without_a_reachable_geocoder_finds_every_postcode_its_pages_suggest(settings, alice, unreachable):
    await make_street("Elm Street", ELM_STREET)
    async with app_client(demo(settings, unreachable)) as client:
        await sign_in(client, alice)
        form = await client.get("/places/home")
        empty = await _look_up(client, "")
        elsewhere = await _look_up(client, "10 Downing Street, London")
        assert elsewhere.status_code == 422
        assert "can't look up addresses right now" in elsewhere.text.replace("&#39;", "'")

        suggested = set(UK_POSTCODE.findall(form.text + empty.text + elsewhere.text))
        assert "HD1 2QA" in suggested
        for postcode in sorted(suggested):
            response = await _look_up(client, postcode)
            assert response.status_code == 303, (postcode, response.text)
            assert response.headers["location"].startswith("/streets/nearby")
            place = _offline_place(postcode)
            assert await _home(alice) == pytest.approx((place.lat, place.lng))

        nearby = await client.get("/streets/nearby")
        assert nearby.status_code == 200 and "Join Elm Street" in nearby.text
    # An offline answer is not remembered as the real geocoder's: online again, it is asked.
    assert await db.fetchval("SELECT count(*) FROM geocode_cache") == 0


async def test_demo_waits_on_an_unreachable_geocoder_once_not_at_every_lookup(settings, alice):
    with silent_server() as (address, queries):
        async with app_client(demo(settings, address)) as client:
            await sign_in(client, alice)
            started = time.monotonic()
            for postcode in ("HD1 2QA", "HD1 5AA", "HD1 6EF", "HD3 3JB"):
                response = await _look_up(client, postcode)
                assert response.status_code == 303, (postcode, response.text)
                if postcode == "HD1 2QA":
                    took = time.monotonic() - started
        # A lookup that asked it would have connected and waited. Only the first did (geopy's HTTP
        # adapter may retry that one request on its own: the same query again).
        assert queries and set(queries) == {"HD1 2QA"}, queries
    assert took >= 1  # the first lookup gave the real geocoder its (test) timeout of 1 s


async def test_demo_uses_the_real_geocoder_when_it_answers(settings, alice):
    with nominatim() as (address, queries):
        async with app_client(demo(settings, address)) as client:
            await sign_in(client, alice)
            response = await _look_up(client, "hd1 2qa")
            assert response.status_code == 303, response.text
            assert await _home(alice) == pytest.approx((53.6461, -1.7853))  # not the offline table's 53.6458

            response = await _look_up(client, "12 Acacia Avenue, Huddersfield")  # only the real one knows it
            assert response.status_code == 303, response.text
            assert await _home(alice) == pytest.approx((53.6471, -1.7901))
    assert queries == ["HD1 2QA", "12 acacia avenue, huddersfield"]
    assert await db.fetchval("SELECT count(*) FROM geocode_cache") == 2


async def test_demo_area_postcode_the_real_geocoder_does_not_know_is_still_found(settings, alice):
    with nominatim() as (address, queries):
        async with app_client(demo(settings, address)) as client:
            await sign_in(client, alice)
            response = await _look_up(client, "HD1 5AA")
            assert response.status_code == 303, response.text
    assert queries == ["HD1 5AA"]
    assert await _home(alice) == pytest.approx((FAKE_PLACES["hd1_5aa"].lat, FAKE_PLACES["hd1_5aa"].lng))


async def test_outside_the_demo_the_real_geocoder_alone_answers(settings, alice):
    with nothing_listens() as address:
        production_like = demo(settings, address).with_(mode="development")
        async with app_client(production_like) as client:
            await sign_in(client, alice)
            response = await _look_up(client, "HD1 2QA")
    assert response.status_code == 422
    assert await _home(alice) == (None, None)
