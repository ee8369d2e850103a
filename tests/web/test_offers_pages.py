"""Offer pages: offer something (with a photo from the phone), see it, edit, pause, resume, withdraw."""

from __future__ import annotations

import re

import pytest
from support.cast import LEEDS, OAK_ROAD, make_offer, make_street, photo_bytes, place_resident, post_form, sign_in, csrf_token

from streetshare import db


@pytest.fixture
async def elm(alice, bob, carol, dave):
    elm = await make_street("Elm Street")
    await place_resident(alice, elm)
    await place_resident(bob, elm)
    await place_resident(carol, await make_street("Oak Road", OAK_ROAD))
    await place_resident(dave, await make_street("Leeds Lane", LEEDS))
    return elm


async def test_resident_offers_a_ladder_and_sees_it_on_their_street(client, elm, alice):
    await sign_in(client, alice)
    form = await client.get("/offers/new")
    assert form.status_code == 200
    assert 'capture="environment"' in form.text and 'accept="image/*"' in form.text
    response = await post_form(client, "/offers/new", {
        "kind": "lend", "title": "Ladder to lend", "description": "Three metres", "category": "tools",
        "loan_days": "7", "neighbours_may_see": "1",
    }, form_page="/offers/new")
    assert response.status_code == 303, response.text
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    assert "Ladder to lend" in page.text and "Your offer is up" in page.text
    home = await client.get("/")
    assert "Ladder to lend" in home.text
