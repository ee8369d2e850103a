"""Ask pages: ask your street for something, see it, edit, renew with one tap, withdraw, say it's sorted."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from support.cast import LEEDS, OAK_ROAD, block, make_ask, make_street, photo_bytes, place_resident, post_form, sign_in

from streetshare import clock, db
from streetshare.asks import service

HEDGE = {"title": "Someone to cut back my hedge", "description": "It's over the path", "category": "garden",
         "help_kind": "skill", "neighbours_may_see": "1"}


@pytest.fixture
async def elm(alice, bob, carol, dave):
    elm = await make_street("Elm Street")
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    await place_resident(carol, await make_street("Oak Road", OAK_ROAD))
    await place_resident(dave, await make_street("Leeds Lane", LEEDS))
    return elm


async def ask_it(client, data, photo: bytes | None = None):
    files = {"photo": ("hedge.jpg", photo, "image/jpeg")} if photo is not None else None
    return await post_form(client, "/asks/new", data, form_page="/asks/new", files=files)


async def test_resident_asks_for_help_with_a_photo_and_neighbours_see_it(client, elm, alice, bob):
    await sign_in(client, alice)
    form = await client.get("/asks/new")
    assert form.status_code == 200 and 'capture="environment"' in form.text and 'type="date"' in form.text
    response = await ask_it(client, HEDGE, photo_bytes())
    assert response.status_code == 303, response.text
    ask_id = int(response.headers["location"].split("/")[2].split("?")[0])
    page = await client.get(response.headers["location"])
    assert "Someone to cut back my hedge" in page.text and "Your ask is up" in page.text
    assert await db.fetchval("SELECT count(*) FROM photo WHERE ask = $1", ask_id) == 1
    client.cookies.clear()
    await sign_in(client, bob)
    neighbour = await client.get(f"/asks/{ask_id}")
    assert re.search(r"Asked by <strong>(<a [^>]*>)?Alice", neighbour.text)
    assert f"/asks/{ask_id}/edit" not in neighbour.text
    assert "Someone to cut back my hedge" in (await client.get("/")).text


async def test_a_needed_by_day_in_the_past_is_refused_next_to_the_field(client, elm, alice):
    await sign_in(client, alice)
    response = await ask_it(client, {**HEDGE, "needed_by": "2020-01-01", "title": ""})
    assert response.status_code == 422
    assert 'id="f-needed_by-error">Please choose today or a day in the future.' in response.text
    assert 'id="f-title-error"' in response.text
    assert await db.fetchval("SELECT count(*) FROM ask") == 0


async def test_owner_edits_the_ask(client, elm, alice):
    ask_id = await make_ask(alice)
    await sign_in(client, alice)
    page = f"/asks/{ask_id}"
    response = await post_form(client, f"{page}/edit", {**HEDGE, "title": "A tall ladder for an afternoon"},
                               form_page=f"{page}/edit")
    assert response.status_code == 303
    assert "A tall ladder for an afternoon" in (await client.get(page)).text


async def test_editing_an_ask_whose_kind_was_guessed_keeps_it_a_guess(client, elm, alice):
    ask_id = await make_ask(alice, title="Could someone mow my lawn?", category="garden", help_kind="")
    await sign_in(client, alice)
    form = await client.get(f"/asks/{ask_id}/edit")
    assert 'name="help_kind" value="skill" checked' not in form.text  # the guess is not ticked for her
    edited = {"title": "Could someone mow my lawn on Saturday?", "description": "", "category": "garden",
              "neighbours_may_see": "1"}  # what the form sends when no kind is ticked
    response = await post_form(client, f"/asks/{ask_id}/edit", edited, form_page=f"/asks/{ask_id}/edit")
    assert response.status_code == 303, response.text
    row = await db.fetchrow("SELECT help_kind, help_kind_stated FROM ask WHERE id = $1", ask_id)
    assert (row["help_kind"], row["help_kind_stated"]) == ("skill", False)

    stated = await post_form(client, f"/asks/{ask_id}/edit", {**edited, "help_kind": "time"},
                             form_page=f"/asks/{ask_id}/edit")
    assert stated.status_code == 303
    assert 'value="time" checked' in (await client.get(f"/asks/{ask_id}/edit")).text


async def test_owner_is_nudged_to_renew_and_renews_with_one_tap(client, elm, alice):
    t0 = datetime.now(UTC)
    with clock.frozen_at(t0 - timedelta(days=28)):
        ask_id = await make_ask(alice)
    await sign_in(client, alice)
    page = await client.get(f"/asks/{ask_id}")
    assert "Still need it?" in page.text and f'action="/asks/{ask_id}/renew"' in page.text
    assert "Closes soon" in (await client.get("/mine")).text
    response = await post_form(client, f"/asks/{ask_id}/renew", {}, form_page=f"/asks/{ask_id}")
    assert response.status_code == 303
    expires = await db.fetchval("SELECT expires_at FROM ask WHERE id = $1", ask_id)
    assert expires > t0 + timedelta(days=29)
    assert "Still need it?" not in (await client.get(f"/asks/{ask_id}")).text


async def test_an_expired_ask_opens_again_with_one_tap(client, elm, alice):
    ask_id = await make_ask(alice)
    await service.expire_asks(datetime.now(UTC) + timedelta(days=31))
    await sign_in(client, alice)
    page = await client.get(f"/asks/{ask_id}")
    assert "Expired" in page.text and "Open it again for 30 days" in page.text
    await post_form(client, f"/asks/{ask_id}/renew", {}, form_page=f"/asks/{ask_id}")
    assert await db.fetchval("SELECT status FROM ask WHERE id = $1", ask_id) == "open"


async def test_owner_says_it_is_sorted_or_withdraws(client, elm, alice):
    sorted_out = await make_ask(alice, title="Need a drill")
    dropped = await make_ask(alice, title="Need a ladder")
    await sign_in(client, alice)
    await post_form(client, f"/asks/{sorted_out}/fulfil", {}, form_page=f"/asks/{sorted_out}")
    await post_form(client, f"/asks/{dropped}/withdraw", {}, form_page=f"/asks/{dropped}")
    statuses = dict(await db.fetch("SELECT id, status FROM ask"))
    assert statuses == {sorted_out: "fulfilled", dropped: "withdrawn"}
    again = await post_form(client, f"/asks/{dropped}/withdraw", {}, form_page="/account")  # no such button now
    assert again.status_code == 409


async def test_neighbour_cannot_renew_or_withdraw_someone_elses_ask(client, elm, alice, bob):
    ask_id = await make_ask(alice)
    await sign_in(client, bob)
    for action in ("renew", "withdraw", "fulfil"):
        response = await post_form(client, f"/asks/{ask_id}/{action}", {}, form_page="/account")  # not on her page
        assert response.status_code == 403
    assert await db.fetchval("SELECT status FROM ask WHERE id = $1", ask_id) == "open"


@pytest.mark.parametrize("who", ["dave", "carol", "blocked"])
async def test_ask_page_is_not_found_out_of_scope(client, elm, alice, bob, carol, dave, who):
    ask_id = await make_ask(alice, neighbours_may_see=False)
    if who == "blocked":
        await block(bob, alice)
    await sign_in(client, {"dave": dave, "carol": carol, "blocked": bob}[who])
    response = await client.get(f"/asks/{ask_id}")
    assert response.status_code == 404 and "Can anyone lend a ladder?" not in response.text
    assert (await post_form(client, f"/asks/{ask_id}/renew", {}, form_page="/account")).status_code == 404


async def test_my_offers_and_asks_page_lists_mine_only(client, elm, alice, bob):
    from support.cast import make_offer

    await make_offer(alice, title="Ladder to lend")
    await make_ask(alice, title="Need a drill")
    await make_ask(bob, title="Bob's own ask")
    await sign_in(client, alice)
    page = await client.get("/mine")
    assert page.status_code == 200
    assert "Ladder to lend" in page.text and "Need a drill" in page.text and "Bob&#39;s own ask" not in page.text
    assert "Available" in page.text and "Still needed" in page.text


async def test_a_neighbour_can_offer_to_help_and_the_asker_cannot(client, elm, alice, bob):
    ask_id = await make_ask(alice)
    await sign_in(client, bob)
    assert f'href="/asks/{ask_id}/help">I can help' in (await client.get(f"/asks/{ask_id}")).text
    client.cookies.clear()
    await sign_in(client, alice)
    assert f"/asks/{ask_id}/help" not in (await client.get(f"/asks/{ask_id}")).text
