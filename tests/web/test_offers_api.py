"""The offers API: the same rules as the pages (api.md: POST/GET/PATCH /api/v1/offers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.cast import LEEDS, OAK_ROAD, api_token, block, make_offer, make_resident, make_street, photo_bytes, place_resident

from streetshare import db


@pytest.fixture
async def elm(alice, bob, carol, dave):
    elm = await make_street("Elm Street")
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    await place_resident(carol, await make_street("Oak Road", OAK_ROAD))
    await place_resident(dave, await make_street("Leeds Lane", LEEDS))
    return elm


async def test_resident_offers_through_the_api(client, elm, alice):
    headers = await api_token(client, alice)
    response = await client.post("/api/v1/offers", headers=headers, json={
        "kind": "lend", "title": "Ladder to lend", "description": "Three metres", "category": "tools"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert {k: body[k] for k in ("kind", "title", "status", "loan_days", "category_label")} == {
        "kind": "lend", "title": "Ladder to lend", "status": "active", "loan_days": 7, "category_label": "Tools"}
    assert body["owner"] == {"id": alice.id, "display_name": "Alice"}
    assert body["street"] == {"id": elm.id, "name": "Elm Street"}
    assert body["photos"] == []


async def test_a_time_offer_with_slots_and_an_iso_start(client, elm, alice):
    headers = await api_token(client, alice)
    start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    response = await client.post("/api/v1/offers", headers=headers, json={
        "kind": "time", "title": "Tip run Saturday 10:00", "category": "lifts_errands", "slots": 3,
        "starts_at": start.isoformat()})
    assert response.status_code == 201, response.text
    assert response.json()["slots"] == 3
    assert datetime.fromisoformat(response.json()["starts_at"]) == start


async def test_invalid_fields_are_a_422_with_a_list_of_fields(client, elm, alice):
    headers = await api_token(client, alice)
    response = await client.post("/api/v1/offers", headers=headers, json={
        "kind": "time", "title": "", "category": "weapons", "slots": 99})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"title", "category", "slots", "starts_at"}
    missing = await client.post("/api/v1/offers", headers=headers, json={"title": "Ladder"})
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} >= {"kind"}
    assert await db.fetchval("SELECT count(*) FROM offer") == 0


async def test_no_home_street_is_a_422_on_street(client, elm):
    erin = await make_resident("Erin")
    response = await client.post("/api/v1/offers", headers=await api_token(client, erin),
                                 json={"kind": "give", "title": "Sofa", "category": "home"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "street"


async def test_get_an_offer_with_owner_and_rounded_distance(client, elm, alice, bob):
    offer_id = await make_offer(alice)
    response = await client.get(f"/api/v1/offers/{offer_id}", headers=await api_token(client, bob))
    assert response.status_code == 200
    body = response.json()
    assert body["owner"] == {"id": alice.id, "display_name": "Alice"}
    assert body["distance_m"] == 100
    assert not any(key in body for key in ("home_lat", "home_lng", "email", "lat", "lng"))
    assert "alice@example.org" not in response.text


@pytest.mark.parametrize("who", ["dave", "carol_kept_to_street", "blocked"])
async def test_an_offer_out_of_scope_is_404_in_the_api(client, elm, alice, bob, carol, dave, who):
    offer_id = await make_offer(alice, neighbours_may_see=who != "carol_kept_to_street")
    if who == "blocked":
        await block(bob, alice)
    viewer = {"dave": dave, "carol_kept_to_street": carol, "blocked": bob}[who]
    headers = await api_token(client, viewer)
    assert (await client.get(f"/api/v1/offers/{offer_id}", headers=headers)).status_code == 404
    assert (await client.patch(f"/api/v1/offers/{offer_id}", headers=headers, json={"status": "paused"})).status_code == 404


async def test_owner_patches_fields_and_status(client, elm, alice):
    offer_id = await make_offer(alice)
    headers = await api_token(client, alice)
    response = await client.patch(f"/api/v1/offers/{offer_id}", headers=headers,
                                  json={"title": "Tall ladder to lend", "loan_days": 14})
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["loan_days"]) == ("Tall ladder to lend", 14)
    paused = await client.patch(f"/api/v1/offers/{offer_id}", headers=headers, json={"status": "paused"})
    assert paused.json()["status"] == "paused"
    again = await client.patch(f"/api/v1/offers/{offer_id}", headers=headers, json={"status": "paused"})
    assert again.status_code == 409
    active = await client.patch(f"/api/v1/offers/{offer_id}", headers=headers, json={"status": "active"})
    assert active.json()["status"] == "active"
    gone = await client.patch(f"/api/v1/offers/{offer_id}", headers=headers, json={"status": "gone"})
    assert gone.status_code == 422 and gone.json()["errors"][0]["field"] == "status"
    withdrawn = await client.patch(f"/api/v1/offers/{offer_id}", headers=headers, json={"status": "withdrawn"})
    assert withdrawn.json()["status"] == "withdrawn"


async def test_a_neighbour_may_not_patch_an_offer(client, elm, alice, bob):
    offer_id = await make_offer(alice)
    response = await client.patch(f"/api/v1/offers/{offer_id}", headers=await api_token(client, bob),
                                  json={"title": "Mine now"})
    assert response.status_code == 403
    assert await db.fetchval("SELECT title FROM offer WHERE id = $1", offer_id) == "Ladder to lend"


async def test_photos_through_the_api(client, elm, alice, bob):
    offer_id = await make_offer(alice)
    headers = await api_token(client, alice)
    response = await client.post(f"/api/v1/offers/{offer_id}/photos", headers=headers,
                                 files={"photo": ("ladder.jpg", photo_bytes(), "image/jpeg")})
    assert response.status_code == 201, response.text
    photo = response.json()
    assert photo["url"].startswith(f"/media/photos/{photo['id']}/") and photo["width"] == 800
    bad = await client.post(f"/api/v1/offers/{offer_id}/photos", headers=headers,
                            files={"photo": ("notes.txt", b"hello", "text/plain")})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "photo"
    other = await client.post(f"/api/v1/offers/{offer_id}/photos", headers=await api_token(client, bob),
                              files={"photo": ("x.jpg", photo_bytes(), "image/jpeg")})
    assert other.status_code == 403
    listed = await client.get(f"/api/v1/offers/{offer_id}", headers=headers)
    assert [p["id"] for p in listed.json()["photos"]] == [photo["id"]]
    removed = await client.delete(f"/api/v1/offers/{offer_id}/photos/{photo['id']}", headers=headers)
    assert removed.status_code == 204
    assert await db.fetchval("SELECT count(*) FROM photo") == 0


async def test_my_offers(client, elm, alice, bob):
    await make_offer(alice, title="Ladder to lend")
    await make_offer(bob, title="Bob's drill")
    response = await client.get("/api/v1/me/offers", headers=await api_token(client, alice))
    assert [o["title"] for o in response.json()] == ["Ladder to lend"]


async def test_the_api_needs_a_token(client, elm, alice):
    offer_id = await make_offer(alice)
    assert (await client.get(f"/api/v1/offers/{offer_id}")).status_code == 401
    assert (await client.post("/api/v1/offers", json={})).status_code == 401


async def test_every_offer_ask_and_feed_endpoint_is_in_the_openapi_schema(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path, methods in {
        "/api/v1/offers": {"get", "post"},
        "/api/v1/offers/{offer_id}": {"get", "patch"},
        "/api/v1/offers/{offer_id}/photos": {"post"},
        "/api/v1/asks": {"get", "post"},
        "/api/v1/asks/{ask_id}": {"get", "patch"},
        "/api/v1/asks/{ask_id}/renew": {"post"},
        "/api/v1/feed": {"get"},
        "/api/v1/me/offers": {"get"},
        "/api/v1/me/asks": {"get"},
    }.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
