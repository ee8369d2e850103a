"""Places pages over HTTP: where do you live, streets near me, street pages, moving, invites."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from support.cast import ELM_STREET, LEEDS, OAK_ROAD, make_street, place_resident, post_form, sign_in

from streetshare import clock, db
from streetshare.places import queries


async def _home_via_postcode(client, postcode: str = "HD1 5AA", **extra):
    return await post_form(client, "/places/home/address", {"address": postcode, **extra}, form_page="/places/home")


async def _offer(owner, street) -> int:
    return await db.fetchval(
        "INSERT INTO offer (owner, street, kind, title, category) VALUES ($1, $2, 'lend', 'Ladder', 'tools') RETURNING id",
        owner.id, street.id,
    )


async def _invite(street, code="elm-invite", **fields) -> str:
    await db.execute(
        "INSERT INTO street_invite (street, code, created_at, expires_at, max_uses, uses, revoked_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)",
        street.id, code, clock.now(), fields.get("expires_at"), fields.get("max_uses"), fields.get("uses", 0),
        fields.get("revoked_at"),
    )
    return code


# ---------------------------------------------------------------- after sign-up: where do you live?


async def test_new_resident_is_sent_from_sign_up_to_where_do_you_live(client):
    response = await post_form(client, "/signup", {"display_name": "Erin", "email": "erin@example.org",
                                                   "password": "correct horse battery"})
    assert response.status_code == 303
    home = await client.get(response.headers["location"])
    assert home.status_code == 303 and home.headers["location"] == "/places/home"
    page = await client.get("/places/home")
    assert page.status_code == 200 and "Where do you live?" in page.text


async def test_resident_with_a_home_but_no_street_is_sent_to_streets_near_them(client, alice):
    await db.execute("UPDATE resident SET home_lat = $2, home_lng = $3 WHERE id = $1", alice.id, *ELM_STREET)
    await sign_in(client, alice)
    response = await client.get("/")
    assert response.status_code == 303 and response.headers["location"] == "/streets/nearby"


async def test_home_page_shows_the_residents_street_with_a_link(client, alice):
    elm = await make_street("Elm Street", ELM_STREET)
    await place_resident(alice, elm)
    await sign_in(client, alice)
    response = await client.get("/")
    assert response.status_code == 200
    assert "Elm Street" in response.text
    links = re.findall(r'<a href="(/streets/[^"]+)"', response.text)
    assert f"/streets/{elm.id}" in links or "/streets/mine" in links
    mine = await client.get("/streets/mine")
    assert mine.headers["location"] == f"/streets/{elm.id}"


async def test_where_do_you_live_works_without_javascript(client, alice):
    await sign_in(client, alice)
    page = (await client.get("/places/home")).text
    # "Use my location" needs JavaScript: hidden until location.js shows it; the postcode form is always there.
    assert re.search(r'<section class="card narrow" id="locate" data-locate\s+hidden>', page)
    assert 'action="/places/home/address"' in page and 'name="address"' in page
    assert "/static/location.js" in page


async def test_postcode_sets_home_and_continues_to_streets_near_me(client, alice):
    await make_street("Elm Street", ELM_STREET)
    await sign_in(client, alice)
    response = await _home_via_postcode(client, "hd1 5aa")
    assert response.status_code == 303 and response.headers["location"] == "/streets/nearby?home=set"
    home = await queries.own_home(alice.id)
    assert home.address == "Huddersfield HD1 5AA"
    page = await client.get("/streets/nearby?home=set")
    assert "we've saved where you live" in page.text
    assert "Elm Street" in page.text and "about 500 m away" in page.text and "0 members" in page.text


async def test_location_from_the_phone_sets_home_without_any_lookup(client, alice):
    await sign_in(client, alice)
    response = await post_form(client, "/places/home/location", {"lat": "53.645912", "lng": "-1.785123"},
                               form_page="/places/home")
    assert response.status_code == 303
    home = await queries.own_home(alice.id)
    assert (home.lat, home.lng, home.address) == (53.645912, -1.785123, None)
    assert await db.fetchval("SELECT count(*) FROM geocode_cache") == 0


@pytest.mark.parametrize("lat, lng", [("", ""), ("53.6", ""), ("north", "-1.78"), ("95", "-1.78"), ("nan", "0")])
async def test_unusable_location_re_renders_the_form_suggesting_the_postcode(client, alice, lat, lng):
    await sign_in(client, alice)
    response = await post_form(client, "/places/home/location", {"lat": lat, "lng": lng}, form_page="/places/home")
    assert response.status_code == 422
    assert "Type your postcode or address instead" in response.text
    assert not await queries.has_home(alice.id)


@pytest.mark.parametrize(
    ("address", "message", "hint"),
    [
        ("timeout HD1", "Looking up that address took too long.", "Try again, or use your location instead."),
        ("offline HD1", "We can't look up addresses right now.", "Use your location instead"),
        ("ratelimit HD1", "Too many address lookups are happening right now.", "Wait a minute"),
        ("Nowhere Lane ZZ9", "We couldn't find that address.", "try just your postcode"),
        ("Tour Eiffel Paris", "That address is outside the area this Streetshare covers.", "Check the postcode"),
    ],
)
async def test_every_geocoding_failure_re_renders_the_form_with_a_way_forward(client, alice, address, message, hint):
    await sign_in(client, alice)
    response = await _home_via_postcode(client, address)
    assert response.status_code == 422
    text = response.text
    error = re.search(r'<p class="error" id="f-address-error" role="alert">([^<]*)</p>', text)
    assert error and error.group(1) == message.replace("'", "&#39;")
    assert hint.replace("'", "&#39;") in text
    assert 'href="#locate">use your location</a> instead' in text  # the other method, once JS shows it
    assert f'value="{address}"' in text  # what they typed is kept
    assert not await queries.has_home(alice.id)


async def test_blank_address_is_refused_next_to_the_field(client, alice):
    await sign_in(client, alice)
    response = await _home_via_postcode(client, "  ")
    assert response.status_code == 422
    assert 'id="f-address-error"' in response.text and "Type your postcode or address" in response.text


async def test_ambiguous_address_lets_the_resident_pick_theirs(client, alice):
    await sign_in(client, alice)
    response = await _home_via_postcode(client, "High Street")
    assert response.status_code == 200
    options = re.findall(r'<input type="radio" name="choice" value="(\d+)"[^>]*>\s*<span>([^<]+)</span>', response.text)
    assert len(options) == 3
    pick = next(value for value, label in options if "Huddersfield" in label)
    chosen = await _home_via_postcode(client, "High Street", choice=pick)
    assert chosen.status_code == 303
    assert (await queries.own_home(alice.id)).address == "High Street, Huddersfield HD1 2LS"


async def test_next_is_followed_after_setting_home(client, alice):
    await sign_in(client, alice)
    response = await _home_via_postcode(client, "HD1 5AA", next="/streets/new")
    assert response.headers["location"] == "/streets/new"
    response = await _home_via_postcode(client, "HD1 5AA", next="https://evil.example/")
    assert response.headers["location"] == "/streets/nearby?home=set"


async def test_where_do_you_live_needs_signing_in(client):
    response = await client.get("/places/home")
    assert response.status_code == 303 and response.headers["location"].startswith("/signin?next=")


# ---------------------------------------------------------------- streets near me


async def test_streets_near_me_need_a_home_first(client, alice):
    await sign_in(client, alice)
    response = await client.get("/streets/nearby")
    assert response.status_code == 303
    assert response.headers["location"] == "/places/home?next=%2Fstreets%2Fnearby"


async def test_streets_near_me_show_name_rounded_distance_and_members(client, alice, bob):
    elm = await make_street("Elm Street", ELM_STREET)
    await make_street("Oak Road", OAK_ROAD)
    await make_street("Park Row", LEEDS)
    await place_resident(bob, elm)
    await db.execute("UPDATE resident SET home_lat = $2, home_lng = $3 WHERE id = $1",
                     alice.id, ELM_STREET[0] + 0.0027, ELM_STREET[1])
    await sign_in(client, alice)
    page = (await client.get("/streets/nearby")).text
    assert page.index("Elm Street") < page.index("Oak Road")
    assert "about 300 m away · 1 member" in page and "about 700 m away · 0 members" in page
    assert "Park Row" not in page
    assert f'action="/streets/{elm.id}/join"' in page


async def test_resident_joins_a_street_from_the_list_and_sees_it(client, alice):
    elm = await make_street("Elm Street", ELM_STREET)
    await db.execute("UPDATE resident SET home_lat = $2, home_lng = $3 WHERE id = $1", alice.id, *ELM_STREET)
    await sign_in(client, alice)
    response = await post_form(client, f"/streets/{elm.id}/join", {"items": "bring"}, form_page="/streets/nearby")
    assert response.status_code == 303 and response.headers["location"] == f"/streets/{elm.id}?joined=1"
    page = await client.get(response.headers["location"])
    assert "Welcome to Elm Street!" in page.text and "1 member" in page.text
    assert (await client.get("/streets/mine")).headers["location"] == f"/streets/{elm.id}"


async def test_joining_a_street_far_from_home_is_refused(client, dave):
    elm = await make_street("Elm Street", ELM_STREET)
    await db.execute("UPDATE resident SET home_lat = $2, home_lng = $3 WHERE id = $1", dave.id, *LEEDS)
    await sign_in(client, dave)
    response = await post_form(client, f"/streets/{elm.id}/join", {}, form_page="/places/home")
    assert response.status_code == 403 and "invite link" in response.text
    assert await queries.home_street(dave.id) is None


# ---------------------------------------------------------------- starting a street


async def test_new_street_form_offers_my_home_as_centre_and_800_m(client, alice):
    await db.execute("UPDATE resident SET home_lat = $2, home_lng = $3 WHERE id = $1", alice.id, *ELM_STREET)
    await sign_in(client, alice)
    page = (await client.get("/streets/new")).text
    assert re.search(r'name="centre" value="home"\s+checked', page)
    assert 'name="radius_m" type="number"\n    value="800"' in page or 'value="800"' in page


async def test_resident_starts_a_street_and_becomes_its_coordinator(client, alice):
    await db.execute("UPDATE resident SET home_lat = $2, home_lng = $3 WHERE id = $1", alice.id, *ELM_STREET)
    await sign_in(client, alice)
    response = await post_form(client, "/streets/new", {"name": "Elm Street", "centre": "home", "radius_m": "800"})
    assert response.status_code == 303
    street_id = int(re.search(r"/streets/(\d+)\?created=1", response.headers["location"]).group(1))
    page = (await client.get(response.headers["location"])).text
    assert "you're its coordinator" in page and "You coordinate this street" in page
    assert "Coordinated by Alice." in page
    assert await queries.is_coordinator(alice.id, street_id)


async def test_street_centred_on_a_postcode(client, alice):
    await sign_in(client, alice)
    response = await post_form(client, "/streets/new", {"name": "Oak Road", "centre": "address",
                                                        "centre_address": "HD1 6EF", "radius_m": "600"})
    assert response.status_code == 303
    row = await db.fetchrow("SELECT centre_lat, centre_lng, radius_m FROM street")
    assert tuple(row) == (53.6530, -1.7760, 600)


@pytest.mark.parametrize("radius", ["150", "2500", "lots"])
async def test_radius_outside_200_m_to_2_km_gets_a_clear_error(client, alice, radius):
    await db.execute("UPDATE resident SET home_lat = $2, home_lng = $3 WHERE id = $1", alice.id, *ELM_STREET)
    await sign_in(client, alice)
    response = await post_form(client, "/streets/new", {"name": "Elm Street", "centre": "home", "radius_m": radius})
    assert response.status_code == 422
    assert '<p class="error" id="f-radius_m-error">Choose a radius between 200 m and 2 km (2000 m).</p>' in response.text
    assert await db.fetchval("SELECT count(*) FROM street") == 0


async def test_street_centre_address_failure_is_shown_next_to_it(client, alice):
    await sign_in(client, alice)
    response = await post_form(client, "/streets/new", {"name": "Oak Road", "centre": "address",
                                                        "centre_address": "offline"})
    assert response.status_code == 422
    assert '<p class="error" id="f-centre_address-error">We can&#39;t look up addresses right now.</p>' in response.text


async def test_ambiguous_street_centre_lets_the_resident_pick(client, alice):
    await sign_in(client, alice)
    response = await post_form(client, "/streets/new", {"name": "High Street", "centre": "address",
                                                        "centre_address": "High Street"})
    assert response.status_code == 200 and response.text.count('name="centre_choice"') == 3


# ---------------------------------------------------------------- one street, moving, how far I look


async def test_street_page_shows_name_members_and_coordinators_only(client, carol, alice):
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await place_resident(alice, elm)
    await sign_in(client, alice)
    page = (await client.get(f"/streets/{elm.id}")).text
    assert "<h1>Elm Street</h1>" in page and "2 members" in page and "Coordinated by Carol." in page
    assert carol.email not in page


async def test_neighbouring_street_page_is_visible_when_looking_nearby(client, alice):
    elm = await make_street("Elm Street", ELM_STREET)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(alice, elm, looks_at="nearby")
    await sign_in(client, alice)
    page = await client.get(f"/streets/{oak.id}")
    assert page.status_code == 200 and f'href="/streets/{oak.id}/move"' in page.text


async def test_neighbouring_street_page_is_hidden_when_looking_at_my_street_only(client, alice):
    elm = await make_street("Elm Street", ELM_STREET)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(alice, elm, looks_at="street")
    await sign_in(client, alice)
    assert (await client.get(f"/streets/{oak.id}")).status_code == 404


async def test_far_away_street_page_is_not_found(client, dave):
    elm = await make_street("Elm Street", ELM_STREET)
    leeds = await make_street("Park Row", LEEDS)
    await place_resident(dave, leeds)
    await sign_in(client, dave)
    assert (await client.get(f"/streets/{elm.id}")).status_code == 404
    assert (await client.get("/streets/99999")).status_code == 404


async def test_moving_asks_whether_to_bring_or_close_open_items(client, alice):
    elm = await make_street("Elm Street", ELM_STREET)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(alice, elm)
    await _offer(alice, elm)
    await sign_in(client, alice)
    page = " ".join((await client.get(f"/streets/{oak.id}/move")).text.split())
    assert "Move to Oak Road?" in page and "You have 1 open offer and 0 open asks" in page
    assert 'value="bring" checked' in page and 'value="close" >' in page


async def test_moving_and_closing_withdraws_open_offers(client, alice):
    elm = await make_street("Elm Street", ELM_STREET)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(alice, elm)
    offer = await _offer(alice, elm)
    await sign_in(client, alice)
    response = await post_form(client, f"/streets/{oak.id}/join", {"items": "close"}, form_page=f"/streets/{oak.id}/move")
    assert response.status_code == 303
    assert await db.fetchval("SELECT status FROM offer WHERE id = $1", offer) == "withdrawn"
    assert (await queries.home_street(alice.id)).id == oak.id


async def test_moving_and_bringing_moves_open_offers(client, alice):
    elm = await make_street("Elm Street", ELM_STREET)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(alice, elm)
    offer = await _offer(alice, elm)
    await sign_in(client, alice)
    await post_form(client, f"/streets/{oak.id}/join", {"items": "bring"}, form_page=f"/streets/{oak.id}/move")
    assert await db.fetchrow("SELECT street, status FROM offer WHERE id = $1", offer) == (oak.id, "active")


async def test_resident_chooses_to_look_at_their_street_only(client, alice):
    elm = await make_street("Elm Street", ELM_STREET)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(alice, elm, looks_at="nearby")
    await sign_in(client, alice)
    page = (await client.get(f"/streets/{elm.id}")).text
    assert "My street only" in page and "My street and neighbouring streets" in page
    response = await post_form(client, "/places/looks-at", {"looks_at": "street"}, form_page=f"/streets/{elm.id}")
    assert response.status_code == 303 and response.headers["location"] == f"/streets/{elm.id}?saved=1"
    assert await queries.visible_street_ids(alice.id) == [elm.id]
    assert oak.id not in await queries.visible_street_ids(alice.id)
    bad = await post_form(client, "/places/looks-at", {"looks_at": "everywhere"}, form_page=f"/streets/{elm.id}")
    assert bad.status_code == 422


# ---------------------------------------------------------------- invite links


async def test_signed_out_invitee_signs_up_and_comes_back_to_join(client):
    elm = await make_street("Elm Street", ELM_STREET)
    code = await _invite(elm)
    page = await client.get(f"/join/{code}")
    assert page.status_code == 200 and "invited to Elm Street" in page.text
    assert f'href="/signup?next=/join/{code}"' in page.text

    signup = await post_form(client, "/signup", {"display_name": "Erin", "email": "erin@example.org",
                                                 "password": "correct horse battery", "next": f"/join/{code}"},
                             form_page=f"/signup?next=/join/{code}")
    assert signup.status_code == 303 and signup.headers["location"] == f"/join/{code}"
    confirm = await client.get(f"/join/{code}")
    assert "Join Elm Street" in confirm.text
    joined = await post_form(client, f"/join/{code}", {}, form_page=f"/join/{code}")
    assert joined.status_code == 303 and joined.headers["location"] == f"/streets/{elm.id}?joined=1"
    street_page = await client.get(joined.headers["location"])
    assert "Welcome to Elm Street!" in street_page.text and "Set where I live" in street_page.text


async def test_signed_in_resident_far_away_joins_by_invite(client, dave):
    elm = await make_street("Elm Street", ELM_STREET)
    code = await _invite(elm)
    await sign_in(client, dave)
    response = await post_form(client, f"/join/{code}", {}, form_page=f"/join/{code}")
    assert response.status_code == 303
    assert (await queries.home_street(dave.id)).id == elm.id


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"expires_at": "past"}, "This invite link has expired."),
        ({"revoked_at": "now"}, "This invite link has been switched off."),
        ({"max_uses": 1, "uses": 1}, "This invite link has been used as many times as it allows."),
    ],
)
async def test_unusable_invite_gives_a_kind_message(client, alice, fields, message):
    elm = await make_street("Elm Street", ELM_STREET)
    fields = {**fields}
    if fields.get("expires_at") == "past":
        fields["expires_at"] = clock.now() - timedelta(days=1)
    if fields.get("revoked_at") == "now":
        fields["revoked_at"] = clock.now()
    code = await _invite(elm, **fields)
    signed_out = await client.get(f"/join/{code}")
    assert signed_out.status_code == 410 and message in signed_out.text and "Ask your neighbour for a new one" in signed_out.text
    await sign_in(client, alice)
    response = await post_form(client, f"/join/{code}", {}, form_page="/places/home")
    assert response.status_code == 410 and message in response.text
    assert await queries.home_street(alice.id) is None


async def test_unknown_invite_is_not_found_kindly(client):
    response = await client.get("/join/nope")
    assert response.status_code == 404 and "We don&#39;t recognise that invite link" in response.text


async def test_joining_by_invite_needs_signing_in(client):
    elm = await make_street("Elm Street", ELM_STREET)
    code = await _invite(elm)
    response = await client.post(f"/join/{code}")
    assert response.status_code in (303, 403)  # sign-in redirect (or CSRF refusal): never a join
    assert await db.fetchval("SELECT uses FROM street_invite") == 0


async def test_too_many_address_lookups_are_refused_kindly(client, alice, monkeypatch):
    from streetshare.places import routes

    monkeypatch.setattr(routes, "ADDRESS_LOOKUPS", {"limit": 1, "window_s": 3600})
    await sign_in(client, alice)
    assert (await _home_via_postcode(client, "Nowhere Lane ZZ9")).status_code == 422
    response = await _home_via_postcode(client, "HD1 5AA")
    assert response.status_code == 429
    assert "a lot of address lookups" in response.text and "Use your location instead" in response.text
    assert not await queries.has_home(alice.id)


async def test_move_page_for_a_street_too_far_away_is_refused(client, dave):
    elm = await make_street("Elm Street", ELM_STREET)
    await place_resident(dave, await make_street("Park Row", LEEDS))
    await sign_in(client, dave)
    response = await client.get(f"/streets/{elm.id}/move")
    assert response.status_code == 403 and "Elm Street" not in response.text


async def test_coordinator_is_told_on_the_move_page_that_moving_steps_them_down(client, carol, alice):
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await place_resident(alice, elm)
    await db.execute("INSERT INTO street_coordinator (street, resident, appointed_at) VALUES ($1, $2, $3)",
                     elm.id, alice.id, clock.now())
    oak = await make_street("Oak Road", OAK_ROAD)
    await sign_in(client, carol)
    page = " ".join((await client.get(f"/streets/{oak.id}/move")).text.split())
    assert "You coordinate Elm Street: moving away means you step down there." in page

    response = await post_form(client, f"/streets/{oak.id}/join", {"items": "bring"}, form_page=f"/streets/{oak.id}/move")
    assert response.status_code == 303
    assert not await queries.is_coordinator(carol.id, elm.id)


async def test_only_coordinator_moving_away_gets_the_move_page_back_with_a_way_forward(client, carol, bob):
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await place_resident(bob, elm)  # a neighbour who stays (a street nobody is left on is archived instead)
    oak = await make_street("Oak Road", OAK_ROAD)
    await sign_in(client, carol)
    page = " ".join((await client.get(f"/streets/{oak.id}/move")).text.split())
    assert "You're the only coordinator of Elm Street" in page and f'href="/streets/{elm.id}/members"' in page

    response = await post_form(client, f"/streets/{oak.id}/join", {"items": "bring"}, form_page=f"/streets/{oak.id}/move")
    assert response.status_code == 409
    assert "You're the only coordinator of Elm Street" in response.text and "Move to Oak Road?" in response.text
    assert (await queries.home_street(carol.id)).id == elm.id


async def test_only_coordinator_joining_by_invite_is_told_why_not(client, carol, bob):
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await place_resident(bob, elm)  # a neighbour who stays (a street nobody is left on is archived instead)
    oak = await make_street("Oak Road", LEEDS)
    code = await _invite(oak, code="oak-invite")
    await sign_in(client, carol)
    response = await post_form(client, f"/join/{code}", {"items": "bring"}, form_page=f"/join/{code}")
    assert response.status_code == 409
    assert "You're the only coordinator of Elm Street" in " ".join(response.text.split())
    assert await db.fetchval("SELECT uses FROM street_invite WHERE code = $1", code) == 0
    assert (await queries.home_street(carol.id)).id == elm.id


async def test_only_coordinator_starting_a_street_gets_the_form_back(client, carol, bob):
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await place_resident(bob, elm)  # a neighbour who stays (a street nobody is left on is archived instead)
    await sign_in(client, carol)
    response = await post_form(client, "/streets/new", {"name": "Birch Close", "radius_m": "800", "centre": "home"},
                               form_page="/streets/new")
    assert response.status_code == 409
    text = " ".join(response.text.split())
    assert "You're the only coordinator of Elm Street" in text and "first, then you can start one." in text
    assert 'value="Birch Close"' in response.text
    assert await db.fetchval("SELECT count(*) FROM street WHERE name = 'Birch Close'") == 0
