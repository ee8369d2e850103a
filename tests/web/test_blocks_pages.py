"""Blocking from a profile, and lifting it from the account's list (web and API)."""

from __future__ import annotations

import re

from support.cast import ELM_STREET, api_token, make_street, place_resident, post_form, sign_in

from streetshare import db


async def test_resident_blocks_from_the_profile_and_unblocks_from_the_list(client, alice, bob):
    elm = await make_street("Elm Street", ELM_STREET)
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    await sign_in(client, alice)
    profile = await client.get(f"/residents/{bob.id}")
    assert f'action="/residents/{bob.id}/block"' in profile.text
    assert f'action="/residents/{alice.id}/block"' not in (await client.get(f"/residents/{alice.id}")).text
    report = re.search(r'href="(/report\?kind=resident[^"]+)"', profile.text).group(1).replace("&amp;", "&")
    assert "<h1>Report a resident</h1>" in (await client.get(report)).text

    response = await post_form(client, f"/residents/{bob.id}/block", {}, form_page=f"/residents/{bob.id}")
    assert response.status_code == 303 and response.headers["location"] == "/account/blocked?blocked=1"
    listing = await client.get("/account/blocked?blocked=1")
    assert "Bob" in listing.text and f'action="/residents/{bob.id}/unblock"' in listing.text
    assert (await client.get(f"/residents/{bob.id}")).status_code == 404

    response = await post_form(client, f"/residents/{bob.id}/unblock", {}, form_page="/account/blocked")
    assert response.status_code == 303
    assert (await client.get(f"/residents/{bob.id}")).status_code == 200


async def test_blocking_someone_out_of_sight_is_not_found(client, alice, dave):
    await sign_in(client, alice)
    response = await post_form(client, f"/residents/{dave.id}/block", {}, form_page="/account")
    assert response.status_code == 404
    assert await db.fetchval("SELECT count(*) FROM resident_block") == 0


async def test_api_blocks_lists_and_unblocks(client, alice, bob):
    elm = await make_street("Elm Street", ELM_STREET)
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    headers = await api_token(client, alice)
    assert (await client.put(f"/api/v1/blocks/{bob.id}", headers=headers)).status_code == 204
    assert [b["display_name"] for b in (await client.get("/api/v1/blocks", headers=headers)).json()] == ["Bob"]
    assert (await client.put(f"/api/v1/blocks/{alice.id}", headers=headers)).status_code == 403
    assert (await client.delete(f"/api/v1/blocks/{bob.id}", headers=headers)).status_code == 204
    assert (await client.get("/api/v1/blocks", headers=headers)).json() == []
