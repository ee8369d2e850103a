"""PRIVACY: a resident's home point and address never reach anyone else, coordinators included.

The walk signs in as a second resident and follows every link from every page it can reach
(plus the pages this domain knows about), then calls every GET endpoint in the OpenAPI schema
with every id in play, and looks for the first resident's coordinates (to 4 decimal places and
beyond) and address in everything that comes back. Endpoints added later by other domains are
walked too, as long as they are linked or in the schema.

Then, as a resident of a faraway street, it asks every route with an id (in its path, or ?kind=…&id=…),
pages and API, taken from the app's route table, about one of every thing on Elm Street: each answer is
a 404 or 403 (or, for a write, the same refusal as for a thing that doesn't exist), never a 5xx, and
shows none of it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

from support.cast import ELM_STREET, OAK_ROAD, api_token, make_street, place_resident, post_form, sign_in

from streetshare import clock, db
from streetshare.places import queries, service

SECRET = "test-secret-key-that-is-long-enough-0123456789"

# Alice's home from her phone's location, and Erin's from a typed postcode.
ALICE_HOME = (53.6459, -1.7851)
ERIN_POSTCODE = "HD1 5AA"
ERIN_ADDRESS = "Huddersfield HD1 5AA"
ERIN_HOME = (53.6505, -1.7875)  # where the offline geocoder puts HD1 5AA

# The viewer's own account and data export carry their own email and typed address (never anyone
# else's, which the leak check above still looks for in them).
OWN_DATA = {"/api/v1/me", "/api/v1/me/export", "/account/export"}
PRIVATE_KEYS = {"home_lat", "home_lng", "home_address", "lat", "lng", "latitude", "longitude", "address", "email"}
_HREF = re.compile(r'href="([^"#]*)')


def coordinate_spellings(lat: float, lng: float) -> set[str]:
    """How a point could show up in text: 4, 5 and 6 decimal places (53.6459, 53.64590, ...), with or without sign."""
    spellings = set()
    for value in (lat, lng):
        for places in (4, 5, 6):
            text = f"{value:.{places}f}"
            spellings |= {text, text.lstrip("-")}
        spellings.add(repr(value).lstrip("-"))
    return spellings


def forbidden_for(lat: float, lng: float, *texts: str) -> set[str]:
    return coordinate_spellings(lat, lng) | {t for t in texts if t}


def leaks(text: str, forbidden: set[str]) -> list[str]:
    return sorted(f for f in forbidden if f in text)


def private_keys_in(value, path: str = "$") -> list[str]:
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in PRIVATE_KEYS:
                found.append(f"{path}.{key}")
            found.extend(private_keys_in(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found.extend(private_keys_in(item, f"{path}[{i}]"))
    return found


async def _world(client, alice, bob, carol, erin):
    """Alice and Erin live on Elm Street (Alice started it); Bob coordinates it too; Carol is on Oak Road."""
    await sign_in(client, alice)
    response = await post_form(client, "/places/home/location", {"lat": str(ALICE_HOME[0]), "lng": str(ALICE_HOME[1])},
                               form_page="/places/home")
    assert response.status_code == 303
    client.cookies.clear()
    elm_id = await service.create_street(acting=alice.id, name="Elm Street", secret=SECRET)  # centred near her home
    oak = await make_street("Oak Road", OAK_ROAD, coordinator=carol)

    await sign_in(client, erin)
    response = await post_form(client, "/places/home/address", {"address": ERIN_POSTCODE}, form_page="/places/home")
    assert response.status_code == 303
    client.cookies.clear()
    await service.join_street(acting=erin.id, street_id=elm_id)

    elm = type(oak)(elm_id, "Elm Street", *ELM_STREET)
    await place_resident(bob, elm, home=(ELM_STREET[0] - 0.004, ELM_STREET[1] + 0.003))
    await db.execute("INSERT INTO street_coordinator (street, resident, appointed_by, appointed_at) "
                     "VALUES ($1, $2, $3, $4)", elm_id, bob.id, alice.id, clock.now())
    for owner in (alice, erin):
        await db.execute(
            "INSERT INTO offer (owner, street, kind, title, category) VALUES ($1, $2, 'lend', $3, 'tools')",
            owner.id, elm_id, f"{owner.display_name}'s ladder")
        await db.execute(
            "INSERT INTO ask (owner, street, title, category, help_kind, expires_at) "
            "VALUES ($1, $2, $3, 'tools', 'borrow', now() + interval '14 days')",
            owner.id, elm_id, f"{owner.display_name} needs a drill")
    await db.execute("INSERT INTO street_invite (street, code, created_by, created_at) VALUES ($1, 'elm-walk', $2, $3)",
                     elm_id, alice.id, clock.now())
    # Street status: Alice's and Erin's homes say the power is off; Carol's on Oak Road next door too.
    from streetshare.status import service as status

    for person, street_id in ((alice, elm_id), (erin, elm_id), (carol, oak.id)):
        await status.report(street_id, "power", acting=person.id, affected=True)
    return elm, oak


async def _ids_in_play() -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {}
    for table in ("resident", "street", "offer", "ask", "street_invite"):
        ids[table] = [str(r["id"]) for r in await db.fetch(f"SELECT id FROM {table} ORDER BY id")]
    ids["code"] = [r["code"] for r in await db.fetch("SELECT code FROM street_invite")]
    return ids


async def crawl(client, seeds: list[str], *, limit: int = 300) -> dict[str, tuple[int, str]]:
    """GET every same-site page reachable from the seeds (following redirects by hand)."""
    seen: dict[str, tuple[int, str]] = {}
    queue = deque(seeds)
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen or path.startswith(("/static/", "/signout", "/schema")):
            continue
        response = await client.get(path)
        seen[path] = (response.status_code, response.text)
        targets = [response.headers["location"]] if 300 <= response.status_code < 400 else _HREF.findall(response.text)
        for target in targets:
            parts = urlsplit(urljoin("http://testserver.local" + path, target))
            if parts.netloc == "testserver.local" and parts.path.startswith("/"):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen


async def api_walk(client, headers: dict[str, str], ids: dict[str, list[str]]) -> dict[str, tuple[int, str]]:
    """GET every endpoint in the OpenAPI schema, with every id in play in each path parameter."""
    schema = (await client.get("/schema/openapi.json")).json()
    every_id = sorted({i for values in ids.values() for i in values})
    seen: dict[str, tuple[int, str]] = {}
    for template, operations in schema["paths"].items():
        if "get" not in operations or not template.startswith("/api/"):
            continue
        params = re.findall(r"{([^}]+)}", template)
        paths = [template]
        for param in params:
            paths = [p.replace("{" + param + "}", value, 1) for p in paths for value in every_id]
        for path in paths[:400]:
            response = await client.get(path, headers=headers)
            seen[path] = (response.status_code, response.text)
    return seen


async def test_no_page_or_api_answer_shows_another_residents_home(client, alice, bob, carol):
    from support.cast import make_resident

    erin = await make_resident("Erin")
    elm, oak = await _world(client, alice, bob, carol, erin)
    forbidden = forbidden_for(*ALICE_HOME) | forbidden_for(*ERIN_HOME, ERIN_ADDRESS, ERIN_POSTCODE, "HD15AA")
    forbidden |= {alice.email, erin.email}
    ids = await _ids_in_play()
    ids["resident"] = [str(alice.id), str(erin.id), str(bob.id)]

    for viewer in (bob, carol):  # a coordinator of the same street, and a neighbour on another street
        client.cookies.clear()
        await sign_in(client, viewer)
        seeds = ["/", "/streets/nearby", "/streets/mine", f"/streets/{elm.id}", f"/streets/{oak.id}",
                 f"/streets/{elm.id}/move", f"/streets/{oak.id}/move", "/streets/new", "/places/home", "/account",
                 "/join/elm-walk", "/feed", "/offers", "/asks", "/coordinate", f"/streets/{elm.id}/activity",
                 f"/streets/{elm.id}/status", f"/streets/{elm.id}/status?fragment=1", f"/streets/{oak.id}/status",
                 f"/streets/{elm.id}/status/report", f"/streets/{elm.id}/status/gas",
                 *(f"/residents/{i}" for i in ids["resident"]), *(f"/offers/{i}" for i in ids["offer"]),
                 *(f"/asks/{i}" for i in ids["ask"])]
        pages = await crawl(client, seeds)
        assert pages[f"/streets/{elm.id}"][0] == 200 and "Elm Street" in pages[f"/streets/{elm.id}"][1]
        assert pages["/streets/nearby"][0] == 200 and "about" in pages["/streets/nearby"][1]
        assert pages[f"/streets/{elm.id}/status"][0] == 200 and "2 homes on Elm Street" in pages[f"/streets/{elm.id}/status"][1]
        assert sum(status == 200 for status, _ in pages.values()) >= 8
        for path, (status, text) in pages.items():
            assert not leaks(text, forbidden), f"{viewer.display_name} sees {leaks(text, forbidden)} on {path}"

        headers = await api_token(client, viewer)
        answers = await api_walk(client, headers, ids)
        assert answers[f"/api/v1/streets/{elm.id}"][0] == 200
        assert answers["/api/v1/streets/nearby"][0] == 200
        assert answers[f"/api/v1/streets/{elm.id}/status"][0] == 200
        assert '"homes_here":2' in answers[f"/api/v1/streets/{elm.id}/status"][1]
        for path, (status, text) in answers.items():
            assert not leaks(text, forbidden), f"{viewer.display_name} gets {leaks(text, forbidden)} from {path}"
            if status == 200 and path not in OWN_DATA and text.startswith(("{", "[")):
                assert not private_keys_in(json.loads(text)), f"{path} carries {private_keys_in(json.loads(text))}"

    # The walk is not vacuous: the street page names Alice as a coordinator, and Bob's own page shows his street.
    client.cookies.clear()
    await sign_in(client, bob)
    street_page = (await client.get(f"/streets/{elm.id}")).text
    assert "Alice" in street_page and "Bob" in street_page


async def test_coordinator_sees_names_and_rounded_distances_only(client, alice, bob, carol):
    from support.cast import make_resident

    erin = await make_resident("Erin")
    elm, _ = await _world(client, alice, bob, carol, erin)
    assert await queries.is_coordinator(bob.id, elm.id)
    assert await queries.distance_between_residents(bob.id, alice.id) % 100 == 0
    summary = await queries.street_summary(elm.id)
    assert {c.display_name for c in summary.coordinators} == {"Alice", "Bob"}
    # What a street's summary can say about a coordinator: their id and display name, nothing else.
    assert {f.name for f in dataclasses.fields(queries.Coordinator)} == {"id", "display_name"}


async def test_street_centred_on_a_home_is_never_exactly_on_it(client, alice, bob, carol):
    from support.cast import make_resident

    from streetshare.places.privacy import haversine_m

    erin = await make_resident("Erin")
    elm, _ = await _world(client, alice, bob, carol, erin)
    centre = await db.fetchrow("SELECT centre_lat, centre_lng FROM street WHERE id = $1", elm.id)
    assert haversine_m(*ALICE_HOME, centre["centre_lat"], centre["centre_lng"]) >= 200


def _logged(caplog) -> str:
    """Every message and every structured extra that was logged."""
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.extend(repr(value) for key, value in vars(record).items() if key not in {"msg", "args"})
        parts.append(repr(record.args))
    return "\n".join(parts)


async def test_setting_a_home_never_logs_where_it_is(client, alice, caplog):
    caplog.set_level(logging.DEBUG)
    await sign_in(client, alice)
    await post_form(client, "/places/home/location", {"lat": "53.645912", "lng": "-1.785123"}, form_page="/places/home")
    await post_form(client, "/places/home/address", {"address": ERIN_POSTCODE}, form_page="/places/home")
    await post_form(client, "/places/home/address", {"address": "High Street"}, form_page="/places/home")
    await post_form(client, "/places/home/address", {"address": "12 Nowhere Lane ZZ9"}, form_page="/places/home")
    await post_form(client, "/places/home/address", {"address": "offline 12 Acacia Avenue"}, form_page="/places/home")
    headers = await api_token(client, alice)
    await client.put("/api/v1/me/location", json={"lat": 53.645912, "lng": -1.785123}, headers=headers)
    await client.put("/api/v1/me/location", json={"address": ERIN_POSTCODE}, headers=headers)
    await client.put("/api/v1/me/location", json={"address": "timeout 12 Acacia Avenue"}, headers=headers)

    logged = _logged(caplog)
    assert "home set" in logged  # the event is logged...
    forbidden = forbidden_for(53.645912, -1.785123) | forbidden_for(*ERIN_HOME, ERIN_ADDRESS, ERIN_POSTCODE)
    forbidden |= {"Nowhere Lane", "Acacia Avenue", "High Street", "hd1 5aa", "HD15AA"}
    assert not leaks(logged, forbidden)  # ...never where


# ---------------------------------------------------------------- every route with an id, from another street

# The words only Elm Street's own pages may show: titles, a name, a message, a note, a reason.
ELM_WORDS = ("Alice", "Secret ladder", "Secret drill", "bring it round at six", "Thanks for the secret",
             "It looked odd", "Power off")

# Routes whose path parameter is a key rather than an item, or names no item: not walked, and why.
NOT_ABOUT_AN_ITEM = {
    "/join/{code:str}": "an invite code is the key: whoever holds one may see its street and join it",
    "/api/v1/invites/{code:str}/join": "the same, on the API",
    "/unsubscribe/{token:str}": "a signed one-click token is the key",
    "/demo/outbox/{item_id:str}": "the demo's own mail outbox, in demo mode only",
    "/static/{file_path:path}": "the site's own files",
    "/schema/{path:str}": "the API's description",
}


async def _elm_world(settings, alice, bob, carol, dave) -> dict[str, str]:
    """One of every thing with an id, on Elm Street (alice lends and asks, bob borrows, carol coordinates);
    dave lives and coordinates in Leeds, far from every one of them. The id for each path parameter."""
    from datetime import timedelta

    from support.cast import LEEDS, history_exchange, photo_bytes

    from streetshare.coordinators import service as coordinators
    from streetshare.exchanges import service as exchanges
    from streetshare.moderation import service as moderation
    from streetshare.offers import service as offers
    from streetshare.photos.service import prepare
    from streetshare.photos.storage import store_for
    from streetshare.reputation import service as reputation

    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    for person in (alice, bob):
        await place_resident(person, elm)
    leeds = await make_street("Leeds Road", LEEDS, coordinator=dave)
    offer = await db.fetchval(
        "INSERT INTO offer (owner, street, kind, title, category, created_at, updated_at) "
        "VALUES ($1, $2, 'lend', 'Secret ladder', 'tools', $3, $3) RETURNING id", alice.id, elm.id, clock.now())
    ask = await db.fetchval(
        "INSERT INTO ask (owner, street, title, category, help_kind, expires_at, created_at, updated_at) "
        "VALUES ($1, $2, 'Secret drill', 'tools', 'borrow', $3, $4, $4) RETURNING id",
        alice.id, elm.id, clock.now() + timedelta(days=14), clock.now())
    photo = await offers.add_photo(offer, acting=alice.id, photo=await prepare(photo_bytes()),
                                   store=store_for(settings))
    sha = await db.fetchval("SELECT sha256 FROM photo WHERE id = $1", photo)
    live = (await exchanges.request_offer(offer, acting=bob.id, message="Can you bring it round at six?")).id
    done = await history_exchange(provider=alice, recipient=bob, offer=offer, state="completed",
                                  completed_at=clock.now())
    thanks = await reputation.say_thanks(done, "Thanks for the secret ladder", acting=bob.id)
    match = await db.fetchval(
        "INSERT INTO match (ask, offer, score, reasons, created_at, updated_at) VALUES ($1, $2, 1, '[]', $3, $3) "
        "RETURNING id", ask, offer, clock.now())
    report = await moderation.report(acting=bob.id, target_kind="ask", target_id=ask, reason="It looked odd")
    invite = await coordinators.create_invite(elm.id, acting=carol.id)
    from streetshare.status import service as status

    await status.report(elm.id, "power", acting=alice.id, affected=True)
    return {"street_id": str(elm.id), "resident_id": str(alice.id), "offer_id": str(offer), "ask_id": str(ask),
            "exchange_id": str(live), "photo_id": str(photo), "name": f"{sha}-display.jpg", "match_id": str(match),
            "report_id": str(report), "invite_id": str(invite.id), "thanks_id": str(thanks),
            "dave_street_id": str(leeds.id), "topic": "power"}


# What a ?kind=…&id=… names (the report form, a coordinator's hide form): the id for each kind.
KIND_IDS = {"offer": "offer_id", "ask": "ask_id", "exchange": "exchange_id", "resident": "resident_id",
            "thanks": "thanks_id"}


def _routes_with_ids(app) -> list[tuple[str, str]]:
    """(method, path template) of every route of the app with an id in its path or its query (?kind=…&id=…,
    one template per kind), from the app's route table."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(set(handler.http_methods) - {"OPTIONS", "HEAD"}):
                if "id" in handler.parsed_fn_signature.parameters:
                    found.extend((method, f"{route.path}?kind={kind}&id={{{key}:int}}")
                                 for kind, key in KIND_IDS.items())
                elif route.path_parameters:
                    found.append((method, route.path))
    return sorted(set(found))


def _fill(template: str, ids: dict[str, str]) -> str:
    return re.sub(r"{([^}:]+):[a-z]+}", lambda m: ids[m.group(1)], template)


async def test_no_route_with_an_id_shows_another_streets_item_to_a_resident_of_another_street(
        client, settings, alice, bob, carol, dave):
    from datetime import timedelta

    from streetshare.app import create_app

    ids = await _elm_world(settings, alice, bob, carol, dave)
    nothing = {name: ("2147483647" if name != "name" else "0-display.jpg") for name in ids}
    # Dave coordinates Leeds Road: his own street's pages, asked about Elm Street's things, show nothing either.
    own_street = {"street_id": ids.pop("dave_street_id")}
    del nothing["dave_street_id"]
    routes = _routes_with_ids(create_app(settings, manage_pool=False))
    walked = [(m, t) for m, t in routes if t not in NOT_ABOUT_AN_ITEM]
    assert {t for _, t in routes} >= set(NOT_ABOUT_AN_ITEM) - {"/demo/outbox/{item_id:str}"}
    assert len(walked) >= 100 and any(t.startswith("/api/") for _, t in walked)
    unknown = {re.findall(r"{([^}:]+):", t)[0] for _, t in walked} - set(ids)
    assert not unknown, f"a new kind of id: add one to _elm_world: {unknown}"

    headers = await api_token(client, dave)
    await sign_in(client, dave)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', (await client.get("/account")).text).group(1)

    # One body that every form and JSON operation can read (unknown fields are ignored), so that a refusal
    # comes from who is asking, not from an empty body.
    later = (clock.now() + timedelta(days=7)).date().isoformat()
    fields = {"text": "Hello", "message": "Hello", "note": "Fine", "reason": "Looks wrong", "until": later,
              "due_back": later, "resident_id": ids["resident_id"], "title": "Mine now", "address": "1 Leeds Road"}

    async def ask_as_dave(method: str, path: str):
        if path.startswith("/api/"):
            body = {**fields, "resident_id": int(ids["resident_id"])} if method in {"POST", "PUT", "PATCH"} else None
            return await client.request(method, path, headers=headers, json=body)
        if method == "GET":
            return await client.get(path)
        return await client.request(method, path, data={**fields, "_csrf_token": token})

    shown, wrong = [], []
    for method, template in walked:
        variants = [(ids, nothing, "")]
        if "{street_id:int}" in template and template.count(":int}") > 1:
            variants.append(({**ids, **own_street}, {**nothing, **own_street}, " on his own street"))
        for given, missing_ids, where in variants:
            response = await ask_as_dave(method, _fill(template, given))
            missing = await ask_as_dave(method, _fill(template, missing_ids))
            if response.status_code >= 500 or response.status_code not in {403, 404, missing.status_code}:
                wrong.append(f"{method} {template}{where}: {response.status_code} (an item that doesn't exist: "
                             f"{missing.status_code})")
            if method == "GET" and response.status_code not in {403, 404}:
                wrong.append(f"{method} {template}{where}: {response.status_code}, not 404")
            if words := [w for w in ELM_WORDS if w in response.text]:
                shown.append(f"{method} {template}{where} shows {words}")
    assert not wrong, "\n".join(wrong)
    assert not shown, "\n".join(shown)

    # The walk is not vacuous: Bob, on Elm Street, sees Alice's offer, photo and their exchange.
    client.cookies.clear()
    await sign_in(client, bob)
    for template in ("/offers/{offer_id:int}", "/exchanges/{exchange_id:int}",
                     "/media/photos/{photo_id:int}/{name:str}",
                     "/report?kind=offer&id={offer_id:int}"):
        assert (await client.get(_fill(template, ids))).status_code == 200, template
