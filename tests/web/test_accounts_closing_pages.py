"""The account page's "Your data": download it, or close the account (web and API)."""

from __future__ import annotations

import json

from support.cast import ELM_STREET, api_token, insert_offer, make_street, place_resident, post_form, sign_in

from streetshare import db
from streetshare.exchanges import service as exchanges


async def test_resident_downloads_their_data_as_a_json_file(client, alice):
    await sign_in(client, alice)
    assert 'href="/account/export"' in (await client.get("/account")).text
    response = await client.get("/account/export")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="streetshare-my-data.json"'
    assert response.headers["cache-control"] == "no-store"
    assert json.loads(response.text)["account"]["email"] == alice.email


async def test_signed_out_visitor_is_sent_to_sign_in_for_the_export(client):
    response = await client.get("/account/export", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")


async def test_closing_asks_for_the_password_and_says_so_next_to_the_field(client, alice):
    await sign_in(client, alice)
    response = await post_form(client, "/account/close", {"password": "wrong wrong wrong"}, form_page="/account/close")
    assert response.status_code == 422
    assert 'id="f-password-error">That isn&#39;t your password.' in response.text
    assert await db.fetchval("SELECT is_active FROM resident WHERE id = $1", alice.id) is True


async def test_resident_closes_their_account_and_is_signed_out(client, alice):
    await sign_in(client, alice)
    response = await post_form(client, "/account/close", {"password": alice.password}, form_page="/account/close")
    assert response.status_code == 303 and response.headers["location"] == "/account/closed"
    assert "Your account is closed" in (await client.get("/account/closed")).text
    assert (await client.get("/account", follow_redirects=False)).status_code == 303
    signin = await post_form(client, "/signin", {"email": alice.email, "password": alice.password})
    assert signin.status_code == 422


async def test_closing_with_a_loan_out_shows_what_to_finish_first(client, alice, bob):
    elm = await make_street("Elm Street", ELM_STREET)
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    ladder = await insert_offer(alice, elm, title="Ladder")
    ex = (await exchanges.request_offer(ladder, acting=bob.id)).id
    await exchanges.accept(ex, acting=alice.id)
    await exchanges.hand_over(ex, acting=alice.id)
    await sign_in(client, bob)
    response = await post_form(client, "/account/close", {"password": bob.password}, form_page="/account/close")
    assert response.status_code == 409
    assert "“Ladder” is still lent or borrowed" in response.text


async def test_only_member_and_coordinator_closes_and_is_told_the_street_is_archived(client, carol):
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await sign_in(client, carol)
    page = " ".join((await client.get("/account/close")).text.split())
    assert "Nobody else lives on Elm Street on Streetshare, so closing your account archives it" in page
    assert "only coordinator" not in page
    response = await post_form(client, "/account/close", {"password": carol.password}, form_page="/account/close")
    assert response.status_code == 303 and response.headers["location"] == "/account/closed"
    assert await db.fetchval("SELECT archived_at IS NOT NULL FROM street WHERE id = $1", elm.id)


async def test_only_coordinator_of_a_street_others_live_on_is_told_before_closing(client, carol, bob):
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    await place_resident(bob, elm)
    await sign_in(client, carol)
    page = " ".join((await client.get("/account/close")).text.split())
    assert "You're the only coordinator of Elm Street" in page and f'href="/streets/{elm.id}/members"' in page
    response = await post_form(client, "/account/close", {"password": carol.password}, form_page="/account/close")
    assert response.status_code == 409
    assert " ".join(response.text.split()).count("You're the only coordinator of Elm Street") == 1  # said once
    api = await client.post("/api/v1/me/close", json={"password": carol.password}, headers=await api_token(client, carol))
    assert api.status_code == 409 and "only coordinator of Elm Street" in api.json()["detail"]
    assert await db.fetchval("SELECT is_active FROM resident WHERE id = $1", carol.id) is True


async def test_api_exports_and_closes(client, alice):
    headers = await api_token(client, alice)
    exported = await client.get("/api/v1/me/export", headers=headers)
    assert exported.status_code == 200 and exported.json()["account"]["display_name"] == "Alice"

    wrong = await client.post("/api/v1/me/close", json={"password": "nope nope nope"}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["errors"] == [{"field": "password", "message": "That isn't your password."}]
    closed = await client.post("/api/v1/me/close", json={"password": alice.password}, headers=headers)
    assert closed.status_code == 204
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_guessing_the_password_on_the_close_form_is_rate_limited(client, alice):
    await sign_in(client, alice)
    statuses = []
    for _ in range(6):
        response = await post_form(client, "/account/close", {"password": "guess guess guess"}, form_page="/account/close")
        statuses.append(response.status_code)
    assert statuses == [422] * 5 + [429]  # the sign-in throttle: 5 wrong passwords per browser in 15 minutes
