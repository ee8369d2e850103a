"""The places JSON API: /api/v1/me/location, /api/v1/streets..., parity with the pages."""

from __future__ import annotations

import pytest
from support.cast import ELM_STREET, LEEDS, OAK_ROAD, api_token, make_street, place_resident

from streetshare import clock, db
from streetshare.places import queries


async def test_setting_location_by_point_suggests_streets_nearest_first(client, alice, bob):
    elm = await make_street("Elm Street", ELM_STREET)
    oak = await make_street("Oak Road", OAK_ROAD)
    await make_street("Park Row", LEEDS)
    await place_resident(bob, elm)
    headers = await api_token(client, alice)
    response = await client.put("/api/v1/me/location", json={"lat": ELM_STREET[0] + 0.0027, "lng": ELM_STREET[1]},
                                headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["street_suggestions"] == [
        {"id": elm.id, "name": "Elm Street", "distance_m": 300, "members": 1, "can_join": True},
        {"id": oak.id, "name": "Oak Road", "distance_m": 700, "members": 0, "can_join": True},
    ]
    assert body["street"] is None


async def test_setting_location_by_postcode(client, alice):
    headers = await api_token(client, alice)
    response = await client.put("/api/v1/me/location", json={"address": "HD1 5AA"}, headers=headers)
    assert response.status_code == 200 and response.json()["street_suggestions"] == []
    assert (await queries.own_home(alice.id)).address == "Huddersfield HD1 5AA"


@pytest.mark.parametrize(
    ("address", "kind"),
    [("timeout", "timed_out"), ("offline", "unavailable"), ("ratelimit", "rate_limited"),
     ("Nowhere Lane ZZ9", "no_result"), ("Tour Eiffel Paris", "outside_country"), ("", None)],
)
async def test_geocoding_failures_are_422_on_the_address_field(client, alice, address, kind):
    headers = await api_token(client, alice)
    response = await client.put("/api/v1/me/location", json={"address": address}, headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] and [e["field"] for e in body["errors"]] == ["address"]
    if kind:
        assert body["kind"] == kind and body["hint"] in body["errors"][0]["message"]
    assert not await queries.has_home(alice.id)


async def test_ambiguous_address_lists_choices_and_a_choice_settles_it(client, alice):
    headers = await api_token(client, alice)
    response = await client.put("/api/v1/me/location", json={"address": "High Street"}, headers=headers)
    assert response.status_code == 422
    choices = response.json()["choices"]
    assert len(choices) == 3 and set(choices[0]) == {"index", "label"}
    pick = next(c["index"] for c in choices if "Huddersfield" in c["label"])
    response = await client.put("/api/v1/me/location", json={"address": "High Street", "choice": pick}, headers=headers)
    assert response.status_code == 200
    assert (await queries.own_home(alice.id)).address == "High Street, Huddersfield HD1 2LS"


@pytest.mark.parametrize("body", [{"lat": 95, "lng": 0}, {"lat": 53.6}, {"lng": -1.7}, {"lat": "north", "lng": 1}])
async def test_unusable_points_are_refused(client, alice, body):
    headers = await api_token(client, alice)
    response = await client.put("/api/v1/me/location", json=body, headers=headers)
    assert response.status_code in (400, 422)
    assert not await queries.has_home(alice.id)


async def test_location_needs_a_token(client):
    response = await client.put("/api/v1/me/location", json={"lat": 53.6, "lng": -1.78})
    assert response.status_code == 401


async def test_nearby_streets_near_the_callers_home(client, alice):
    elm = await make_street("Elm Street", ELM_STREET)
    await place_resident(alice, elm)
    headers = await api_token(client, alice)
    response = await client.get("/api/v1/streets/nearby", headers=headers)
    assert response.status_code == 200
    assert [(s["id"], s["name"], s["members"]) for s in response.json()] == [(elm.id, "Elm Street", 1)]
    assert response.json()[0]["distance_m"] % 100 == 0


async def test_nearby_streets_need_a_home_first(client, alice):
    headers = await api_token(client, alice)
    response = await client.get("/api/v1/streets/nearby", headers=headers)
    assert response.status_code == 409 and "/api/v1/me/location" in response.json()["detail"]


async def test_caller_starts_a_street_and_coordinates_it(client, alice):
    headers = await api_token(client, alice)
    response = await client.post("/api/v1/streets", json={"name": "Elm Street", "lat": ELM_STREET[0],
                                                          "lng": ELM_STREET[1], "radius_m": 600}, headers=headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created == {"id": created["id"], "name": "Elm Street", "radius_m": 600}
    assert await queries.is_coordinator(alice.id, created["id"])
    me = (await client.get("/api/v1/me", headers=headers)).json()
    assert me["street"] == {"id": created["id"], "name": "Elm Street"}


async def test_street_without_a_centre_is_centred_near_the_callers_home(client, alice):
    await db.execute("UPDATE resident SET home_lat = $2, home_lng = $3 WHERE id = $1", alice.id, *ELM_STREET)
    headers = await api_token(client, alice)
    response = await client.post("/api/v1/streets", json={"name": "Elm Street"}, headers=headers)
    assert response.status_code == 201 and response.json()["radius_m"] == 800


@pytest.mark.parametrize("radius", [199, 2001])
async def test_street_radius_out_of_range_is_422(client, alice, radius):
    headers = await api_token(client, alice)
    response = await client.post("/api/v1/streets", json={"name": "Elm Street", "lat": ELM_STREET[0],
                                                          "lng": ELM_STREET[1], "radius_m": radius}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "radius_m",
                                          "message": "Choose a radius between 200 m and 2 km (2000 m)."}]


async def test_caller_joins_a_street_near_home(client, alice):
    elm = await make_street("Elm Street", ELM_STREET)
    await db.execute("UPDATE resident SET home_lat = $2, home_lng = $3 WHERE id = $1", alice.id, *ELM_STREET)
    headers = await api_token(client, alice)
    response = await client.post(f"/api/v1/streets/{elm.id}/join", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["is_member"] is True and response.json()["members"] == 1
    assert (await client.get("/api/v1/me", headers=headers)).json()["street"] == {"id": elm.id, "name": "Elm Street"}


async def test_caller_moves_and_closes_open_items(client, alice):
    elm = await make_street("Elm Street", ELM_STREET)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(alice, elm)
    offer = await db.fetchval(
        "INSERT INTO offer (owner, street, kind, title, category) VALUES ($1, $2, 'give', 'Cot', 'children') "
        "RETURNING id", alice.id, elm.id)
    headers = await api_token(client, alice)
    response = await client.post(f"/api/v1/streets/{oak.id}/join", json={"items": "close"}, headers=headers)
    assert response.status_code == 200
    assert await db.fetchval("SELECT status FROM offer WHERE id = $1", offer) == "withdrawn"


async def test_joining_far_away_is_403_and_unknown_street_is_404(client, dave):
    elm = await make_street("Elm Street", ELM_STREET)
    await db.execute("UPDATE resident SET home_lat = $2, home_lng = $3 WHERE id = $1", dave.id, *LEEDS)
    headers = await api_token(client, dave)
    assert (await client.post(f"/api/v1/streets/{elm.id}/join", headers=headers)).status_code == 403
    assert (await client.post("/api/v1/streets/9999/join", headers=headers)).status_code == 404


async def test_street_shows_members_and_coordinators_by_display_name(client, carol, alice):
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await place_resident(alice, elm)
    headers = await api_token(client, alice)
    response = await client.get(f"/api/v1/streets/{elm.id}", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"id": elm.id, "name": "Elm Street", "members": 2, "radius_m": 800,
                               "coordinators": [{"id": carol.id, "display_name": "Carol"}],
                               "is_member": True, "is_coordinator": False}


async def test_street_far_away_is_404(client, dave):
    elm = await make_street("Elm Street", ELM_STREET)
    await place_resident(dave, await make_street("Park Row", LEEDS))
    headers = await api_token(client, dave)
    assert (await client.get(f"/api/v1/streets/{elm.id}", headers=headers)).status_code == 404


async def test_join_by_invite_code(client, dave):
    elm = await make_street("Elm Street", ELM_STREET)
    await db.execute("INSERT INTO street_invite (street, code, created_at, max_uses) VALUES ($1, 'abc', $2, 1)",
                     elm.id, clock.now())
    headers = await api_token(client, dave)
    response = await client.post("/api/v1/invites/abc/join", headers=headers)
    assert response.status_code == 200 and response.json()["id"] == elm.id
    assert (await client.post("/api/v1/invites/nope/join", headers=headers)).status_code == 404


async def test_used_up_invite_is_409_with_a_kind_detail(client, alice):
    elm = await make_street("Elm Street", ELM_STREET)
    await db.execute("INSERT INTO street_invite (street, code, created_at, max_uses, uses) VALUES ($1, 'abc', $2, 1, 1)",
                     elm.id, clock.now())
    headers = await api_token(client, alice)
    response = await client.post("/api/v1/invites/abc/join", headers=headers)
    assert response.status_code == 409 and "Ask your neighbour for a new one" in response.json()["detail"]


async def test_caller_chooses_how_far_they_look(client, alice):
    elm = await make_street("Elm Street", ELM_STREET)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(alice, elm)
    headers = await api_token(client, alice)
    response = await client.put("/api/v1/me/looks-at", json={"looks_at": "street"}, headers=headers)
    assert response.json() == {"looks_at": "street", "visible_street_ids": [elm.id]}
    response = await client.put("/api/v1/me/looks-at", json={"looks_at": "nearby"}, headers=headers)
    assert response.json()["visible_street_ids"] == [elm.id, oak.id]
    response = await client.put("/api/v1/me/looks-at", json={"looks_at": "far"}, headers=headers)
    assert response.status_code == 422


async def test_me_has_no_street_before_joining(client, alice):
    headers = await api_token(client, alice)
    assert (await client.get("/api/v1/me", headers=headers)).json()["street"] is None


async def test_openapi_describes_every_places_endpoint(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert "put" in paths["/api/v1/me/location"]
    assert "get" in paths["/api/v1/streets/nearby"]
    assert "post" in paths["/api/v1/streets"]
    assert "post" in paths["/api/v1/streets/{street_id}/join"]
    assert "get" in paths["/api/v1/streets/{street_id}"]
    assert "post" in paths["/api/v1/invites/{code}/join"]
    assert "put" in paths["/api/v1/me/looks-at"]


async def test_too_many_address_lookups_are_429(client, alice, monkeypatch):
    from streetshare.places import routes

    monkeypatch.setattr(routes, "ADDRESS_LOOKUPS", {"limit": 1, "window_s": 3600})
    headers = await api_token(client, alice)
    assert (await client.put("/api/v1/me/location", json={"address": "HD1 5AA"}, headers=headers)).status_code == 200
    response = await client.put("/api/v1/me/location", json={"address": "HD1 5AA"}, headers=headers)
    assert response.status_code == 429 and "Retry-After" in response.headers
    # A point from the phone needs no lookup, so it is never limited.
    response = await client.put("/api/v1/me/location", json={"lat": 53.6, "lng": -1.78}, headers=headers)
    assert response.status_code == 200
