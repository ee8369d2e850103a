"""Offer pages: offer something (with a photo from the phone), see it, edit, pause, resume, withdraw."""

from __future__ import annotations

import re

import pytest
from support.cast import LEEDS, OAK_ROAD, make_offer, make_resident, make_street, photo_bytes, place_resident, post_form, sign_in

from streetshare import db

LADDER = {"kind": "lend", "title": "Ladder to lend", "description": "Three metres", "category": "tools",
          "loan_days": "7", "neighbours_may_see": "1"}


@pytest.fixture
async def elm(alice, bob, carol, dave):
    elm = await make_street("Elm Street")
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    await place_resident(carol, await make_street("Oak Road", OAK_ROAD))
    await place_resident(dave, await make_street("Leeds Lane", LEEDS))
    return elm


async def offer_it(client, data, photo: bytes | None = None, filename="ladder.jpg"):
    files = {"photo": (filename, photo, "image/jpeg")} if photo is not None else None
    return await post_form(client, "/offers/new", data, form_page="/offers/new", files=files)


async def test_resident_offers_a_ladder_and_sees_it_on_their_street(client, elm, alice, bob):
    await sign_in(client, alice)
    form = await client.get("/offers/new")
    assert form.status_code == 200
    assert 'type="file"' in form.text and 'capture="environment"' in form.text and 'accept="image/*"' in form.text
    assert 'enctype="multipart/form-data"' in form.text
    assert 'name="neighbours_may_see" value="1" checked aria-describedby' in form.text  # on by default
    assert "Books &amp; media" in form.text and "DIY help" in form.text
    response = await offer_it(client, LADDER)
    assert response.status_code == 303, response.text
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    assert "Ladder to lend" in page.text and "Your offer is up" in page.text and "up to 7 days" in page.text
    home = await client.get("/")
    assert "Ladder to lend" in home.text


async def test_offer_with_a_photo_taken_on_the_phone(client, elm, alice):
    await sign_in(client, alice)
    response = await offer_it(client, LADDER, photo_bytes(size=(3000, 2000)))
    assert response.status_code == 303, response.text
    offer_id = int(response.headers["location"].split("/")[2].split("?")[0])
    photo = await db.fetchrow("SELECT id, sha256, width, height, position FROM photo WHERE offer = $1", offer_id)
    assert (photo["width"], photo["height"], photo["position"]) == (1200, 800, 0)
    page = await client.get(f"/offers/{offer_id}")
    assert f'/media/photos/{photo["id"]}/{photo["sha256"]}-display.jpg' in page.text


async def test_something_that_is_not_a_photo_is_refused_next_to_the_field_and_nothing_is_written(client, elm, alice):
    await sign_in(client, alice)
    response = await offer_it(client, {**LADDER, "title": ""}, b"%PDF-1.4 this is a document", filename="cv.pdf")
    assert response.status_code == 422
    assert 'id="f-photo-error">That file isn&#39;t a photo we can read' in response.text
    assert 'id="f-title-error"' in response.text  # every problem at once
    assert 'value="Three metres"' in response.text or "Three metres" in response.text  # what they typed is kept
    assert await db.fetchval("SELECT count(*) FROM offer") == 0
    assert await db.fetchval("SELECT count(*) FROM photo") == 0


async def test_invalid_fields_are_shown_next_to_each_field_with_422(client, elm, alice):
    await sign_in(client, alice)
    response = await offer_it(client, {"kind": "time", "title": "Tip run", "category": "lifts_errands",
                                       "slots": "80", "starts_at": "2020-01-01T10:00"})
    assert response.status_code == 422
    assert 'id="f-slots-error">The number of places must be between 1 and 50.' in response.text
    assert 'id="f-starts_at-error">Please choose a time in the future.' in response.text
    assert 'aria-invalid="true"' in response.text
    assert await db.fetchval("SELECT count(*) FROM offer") == 0


async def test_a_photo_chosen_alongside_invalid_fields_must_be_chosen_again(client, elm, alice):
    await sign_in(client, alice)
    response = await offer_it(client, {**LADDER, "category": ""}, photo_bytes())
    assert response.status_code == 422
    assert "choose your photo again" in response.text
    assert await db.fetchval("SELECT count(*) FROM photo") == 0


async def test_resident_without_a_home_is_asked_to_set_it_first(client, elm):
    erin = await make_resident("Erin")
    await sign_in(client, erin)
    form = await client.get("/offers/new")
    assert 'href="/places/home"' in form.text and "<form method=\"post\" action=\"/offers/new\"" not in form.text
    response = await post_form(client, "/offers/new", LADDER, form_page="/account")  # the form isn't shown
    assert response.status_code == 422 and 'href="/places/home"' in response.text


async def test_owner_edits_the_offer(client, elm, alice):
    offer_id = await make_offer(alice, title="Ladder to lend")
    await sign_in(client, alice)
    form = await client.get(f"/offers/{offer_id}/edit")
    assert 'value="Ladder to lend"' in form.text
    response = await post_form(client, f"/offers/{offer_id}/edit", {**LADDER, "title": "Tall ladder to lend"},
                               form_page=f"/offers/{offer_id}/edit")
    assert response.status_code == 303
    assert "Tall ladder to lend" in (await client.get(f"/offers/{offer_id}")).text


async def test_an_unticked_box_keeps_the_offer_to_the_street(client, elm, alice):
    await sign_in(client, alice)
    data = {k: v for k, v in LADDER.items() if k != "neighbours_may_see"}
    response = await offer_it(client, data)
    offer_id = int(response.headers["location"].split("/")[2].split("?")[0])
    assert await db.fetchval("SELECT neighbours_may_see FROM offer WHERE id = $1", offer_id) is False


async def test_neighbour_sees_the_offer_but_no_edit_or_status_buttons(client, elm, alice, bob):
    offer_id = await make_offer(alice, title="Ladder to lend")
    await sign_in(client, bob)
    page = await client.get(f"/offers/{offer_id}")
    assert page.status_code == 200
    assert re.search(r"Offered by <strong>(<a [^>]*>)?Alice", page.text) and "about 100 m away" in page.text
    assert f"/offers/{offer_id}/edit" not in page.text and f"/offers/{offer_id}/pause" not in page.text
    assert (await client.get(f"/offers/{offer_id}/edit")).status_code == 404
    response = await post_form(client, f"/offers/{offer_id}/pause", {}, form_page="/account")
    assert response.status_code == 403
    edit = await post_form(client, f"/offers/{offer_id}/edit", {**LADDER, "title": "Mine now"}, form_page="/account")
    assert edit.status_code == 403
    assert await db.fetchval("SELECT (status, title) = ('active', 'Ladder to lend') FROM offer WHERE id = $1", offer_id)


async def test_owner_pauses_resumes_and_withdraws(client, elm, alice):
    offer_id = await make_offer(alice)
    await sign_in(client, alice)
    page = f"/offers/{offer_id}"
    assert (await post_form(client, f"{page}/pause", {}, form_page=page)).status_code == 303
    assert "Paused for now" in (await client.get(page)).text
    assert (await post_form(client, f"{page}/pause", {}, form_page=page)).status_code == 409
    assert (await post_form(client, f"{page}/resume", {}, form_page=page)).status_code == 303
    assert (await post_form(client, f"{page}/withdraw", {}, form_page=page)).status_code == 303
    assert await db.fetchval("SELECT status FROM offer WHERE id = $1", offer_id) == "withdrawn"
    assert (await post_form(client, f"{page}/resume", {}, form_page="/account")).status_code == 409


@pytest.mark.parametrize("who", ["dave", "carol", "blocked"])
async def test_offer_page_is_not_found_out_of_scope(client, elm, alice, bob, carol, dave, who):
    offer_id = await make_offer(alice, neighbours_may_see=False)
    viewer = {"dave": dave, "carol": carol, "blocked": bob}[who]
    if who == "blocked":
        from support.cast import block

        await block(alice, bob)
    await sign_in(client, viewer)
    for path in (f"/offers/{offer_id}", f"/offers/{offer_id}/edit"):
        response = await client.get(path)
        assert response.status_code == 404
        assert "Ladder to lend" not in response.text
    assert (await post_form(client, f"/offers/{offer_id}/withdraw", {}, form_page="/account")).status_code == 404


async def test_signed_out_visitor_is_sent_to_sign_in(client, elm, alice):
    offer_id = await make_offer(alice)
    response = await client.get(f"/offers/{offer_id}")
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")


async def test_a_neighbour_gets_the_right_request_button_and_the_owner_none(client, elm, alice, bob):
    ladder = await make_offer(alice, title="Ladder to lend")
    cot = await make_offer(alice, kind="give", title="Cot to give away", category="children")
    paused = await make_offer(alice, title="Paused drill")
    from streetshare.offers import service

    await service.pause_offer(paused, acting=alice.id)
    await sign_in(client, bob)
    assert f'href="/offers/{ladder}/request">Ask to borrow' in (await client.get(f"/offers/{ladder}")).text
    assert f'href="/offers/{cot}/request">I&#39;d like this' in (await client.get(f"/offers/{cot}")).text
    assert f"/offers/{paused}/request" not in (await client.get(f"/offers/{paused}")).text
    client.cookies.clear()
    await sign_in(client, alice)
    assert f"/offers/{ladder}/request" not in (await client.get(f"/offers/{ladder}")).text
