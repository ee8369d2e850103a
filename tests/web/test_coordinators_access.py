"""Who may use the coordinator pages and API, as a matrix over every route.

Coordinator of this street: yes. Coordinator of another street: 404 everywhere (we don't even
say the street exists). A member of the street who isn't a coordinator: 403. Signed out: the
sign-in page (web) or 401 (API).
"""

import re
from dataclasses import dataclass

import pytest
from support.cast import OAK_ROAD, history_offer, make_street, place_resident

from streetshare import clock, db
from streetshare.accounts.passwords import hash_password
from streetshare.accounts.service import start_session
from streetshare.coordinators import service as coordinators
from streetshare.moderation import service as moderation

_HASH: list[str] = []


async def quick_resident(name: str) -> int:
    """A resident row without a fresh password hash each time (the matrix makes many)."""
    if not _HASH:
        _HASH.append(hash_password("not used in these tests"))
    return await db.fetchval(
        "INSERT INTO resident (email, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        f"{name.lower()}@example.org", name, _HASH[0], clock.now(),
    )


@dataclass
class World:
    elm: int
    coordinator: int
    other_coordinator: int
    ordinary: int
    target: int
    badged: int
    offer: int
    report_a: int
    report_b: int
    invite: int


async def build_world() -> World:
    from support.cast import Person

    carol, alice, bob, erin, fran, dave = [
        Person(await quick_resident(n), n, f"{n.lower()}@example.org")
        for n in ("Carol", "Alice", "Bob", "Erin", "Fran", "Dave")
    ]
    elm = await make_street("Elm Street", coordinator=carol)
    for person in (alice, bob, erin, fran):
        await place_resident(person, elm)
    await coordinators.appoint_coordinator(elm.id, alice.id, acting=carol.id)  # so carol may step down
    await make_street("Oak Road", OAK_ROAD, coordinator=dave)
    offer = await history_offer(erin, elm, title="Erin's mower")
    other_offer = await history_offer(fran, elm, title="Fran's bike")
    report_a = await moderation.report(acting=bob.id, target_kind="offer", target_id=offer, reason="Not right")
    report_b = await moderation.report(acting=bob.id, target_kind="offer", target_id=other_offer, reason="Odd")
    invite = await coordinators.create_invite(elm.id, acting=carol.id)
    await coordinators.mark_met_in_person(elm.id, fran.id, acting=carol.id)
    return World(elm.id, carol.id, dave.id, bob.id, erin.id, fran.id, offer, report_a, report_b, invite.id)


# (method, path template, form or JSON body, what the coordinator gets)
WEB_ROUTES = [
    ("GET", "/streets/{elm}/dashboard", None, 200),
    ("GET", "/streets/{elm}/dashboard?period=all", None, 200),
    ("GET", "/streets/{elm}/reports", None, 200),
    ("GET", "/streets/{elm}/reports?status=dismissed", None, 200),
    ("GET", "/streets/{elm}/members", None, 200),
    ("GET", "/streets/{elm}/invites", None, 200),
    ("GET", "/streets/{elm}/flyer", None, 200),
    ("GET", "/streets/{elm}/export.csv", None, 200),
    ("GET", "/streets/{elm}/incidents.csv", None, 200),
    ("GET", "/streets/{elm}/moderation-log", None, 200),
    ("GET", "/streets/{elm}/hide?kind=offer&id={offer}", None, 200),
    ("GET", "/streets/{elm}/members/{target}/remove", None, 200),
    ("POST", "/streets/{elm}/invites", {"days": "30", "max_uses": ""}, 303),
    ("POST", "/streets/{elm}/invites/{invite}/revoke", {}, 303),
    ("POST", "/streets/{elm}/flyer", {}, 303),
    ("POST", "/streets/{elm}/members/{target}/appoint", {}, 303),
    ("POST", "/streets/{elm}/members/{target}/met-in-person", {}, 303),
    ("POST", "/streets/{elm}/members/{badged}/unmark-met", {}, 303),
    ("POST", "/streets/{elm}/members/{target}/remove", {"reason": "Asked to leave"}, 303),
    ("POST", "/streets/{elm}/hide", {"kind": "offer", "id": "{offer}", "reason": "Not for sharing"}, 303),
    ("POST", "/streets/{elm}/reports/{report_a}/dismiss", {"note": ""}, 303),
    ("POST", "/streets/{elm}/reports/{report_b}/acted-on", {"note": "Had a word"}, 303),
    ("POST", "/streets/{elm}/step-down", {}, 303),
]
API_ROUTES = [
    ("GET", "/api/v1/streets/{elm}/activity", None, 200),
    ("GET", "/api/v1/streets/{elm}/activity?period=12w", None, 200),
    ("GET", "/api/v1/streets/{elm}/reports", None, 200),
    ("POST", "/api/v1/streets/{elm}/coordinators", {"resident_id": "{target}"}, 201),
    ("POST", "/api/v1/streets/{elm}/invites", {"days": 14, "max_uses": 5}, 201),
]


def fill(template, world: World):
    values = {k: getattr(world, k) for k in World.__dataclass_fields__}
    if template is None:
        return None
    if isinstance(template, str):
        return template.format(**values)
    out = {}
    for key, value in template.items():
        if isinstance(value, str) and "{" in value:
            value = value.format(**values)
            out[key] = int(value) if key in ("resident_id",) else value
        else:
            out[key] = value
    return out


_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def web_request(client, method: str, path: str, data, session: str | None):
    client.cookies.clear()
    if session:
        client.cookies.set("streetshare_session", session)
    if method == "GET":
        return await client.get(path, follow_redirects=False)
    page = await client.get("/account" if session else "/signin")  # a page with a form
    token = _CSRF.search(page.text).group(1)
    return await client.post(path, data={**(data or {}), "_csrf_token": token}, follow_redirects=False)


async def api_request(client, method: str, path: str, body, token: str | None):
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method == "GET":
        return await client.get(path, headers=headers)
    return await client.post(path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "data", "allowed"), WEB_ROUTES, ids=[f"{m} {p}" for m, p, _, _ in WEB_ROUTES])
async def test_coordinator_web_pages_are_for_this_streets_coordinators_only(client, method, path, data, allowed):
    world = await build_world()
    url, form = fill(path, world), fill(data, world)

    signed_out = await web_request(client, method, url, form, None)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/signin"), url

    other = await web_request(client, method, url, form, await start_session(world.other_coordinator))
    assert other.status_code == 404, f"coordinator of another street: {url}"
    assert "Elm Street" not in other.text

    ordinary = await web_request(client, method, url, form, await start_session(world.ordinary))
    assert ordinary.status_code == 403, f"ordinary resident: {url}"

    mine = await web_request(client, method, url, form, await start_session(world.coordinator))
    assert mine.status_code == allowed, f"{url}: {mine.text[:400]}"


@pytest.mark.parametrize(("method", "path", "body", "allowed"), API_ROUTES, ids=[f"{m} {p}" for m, p, _, _ in API_ROUTES])
async def test_coordinator_api_is_for_this_streets_coordinators_only(client, method, path, body, allowed):
    world = await build_world()
    url, data = fill(path, world), fill(body, world)

    assert (await api_request(client, method, url, data, None)).status_code == 401

    other = await api_request(client, method, url, data, await start_session(world.other_coordinator, kind="api"))
    assert other.status_code == 404 and other.json()["detail"]

    ordinary = await api_request(client, method, url, data, await start_session(world.ordinary, kind="api"))
    assert ordinary.status_code == 403

    mine = await api_request(client, method, url, data, await start_session(world.coordinator, kind="api"))
    assert mine.status_code == allowed, mine.text


async def test_unknown_street_is_404_for_a_coordinator(client):
    world = await build_world()
    session = await start_session(world.coordinator)
    for path in ("/streets/9999/dashboard", "/streets/9999/export.csv", "/streets/9999/reports"):
        assert (await web_request(client, "GET", path, None, session)).status_code == 404
