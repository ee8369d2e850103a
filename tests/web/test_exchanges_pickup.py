"""Sharing the pickup address when the lender's home was set with "use my location" (a point, no typed
address), and each form's errors staying in that form's own card on the exchange page."""

from __future__ import annotations

import re

import pytest
from support.cast import ELM_STREET, app_client, insert_offer, make_street, place_resident, post_form, sign_in

from streetshare import db
from streetshare.exchanges import service


@pytest.fixture
async def elm(alice, bob):
    street = await make_street("Elm Street", ELM_STREET)
    for person in (alice, bob):
        await place_resident(person, street)  # a home point from "use my location": no address typed
    return street


@pytest.fixture
async def accepted(alice, bob, elm) -> int:
    ladder = await insert_offer(alice, elm, kind="lend", title="Ladder", loan_days=5)
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    await service.accept(ex, acting=alice.id)
    return ex


def card(html: str, heading_id: str) -> str:
    """The text of the <section> labelled by `heading_id`."""
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', html, re.S)
    assert match, f"no card {heading_id}"
    return match.group(0)


async def test_lender_without_a_saved_address_is_asked_to_type_it_right_there(as_alice, alice, accepted):
    assert await db.fetchval("SELECT home_address FROM resident WHERE id = $1", alice.id) is None
    pickup = card((await as_alice.get(f"/exchanges/{accepted}")).text, "pickup")
    assert "Share my address" not in pickup  # there is no address of theirs to share in one tap
    assert re.search(r'<input id="f-address" name="address"[^>]* required', pickup)
    assert "<details" not in pickup  # the field is in view, not folded away


async def test_sharing_an_empty_pickup_address_says_so_next_to_the_field_in_its_own_card(as_alice, accepted):
    response = await post_form(as_alice, f"/exchanges/{accepted}/pickup-address", {"address": ""},
                               form_page=f"/exchanges/{accepted}")
    assert response.status_code == 422
    assert 'id="f-address-error">Type the address where they can collect it.' in card(response.text, "pickup")
    assert "Please check the highlighted fields" not in card(response.text, "what-next")
    assert "Share my address" not in response.text


async def test_lender_types_the_pickup_address_and_the_borrower_sees_it(settings, as_alice, bob, accepted):
    response = await post_form(as_alice, f"/exchanges/{accepted}/pickup-address", {"address": "4 Elm Street"},
                               form_page=f"/exchanges/{accepted}")
    assert response.status_code == 303
    async with app_client(settings) as as_bob:
        await sign_in(as_bob, bob)
        assert "4 Elm Street" in card((await as_bob.get(f"/exchanges/{accepted}")).text, "pickup")


async def test_lender_with_a_saved_address_shares_it_with_one_tap(as_alice, alice, accepted):
    await db.execute("UPDATE resident SET home_address = '4 Elm Street, Huddersfield' WHERE id = $1", alice.id)
    pickup = card((await as_alice.get(f"/exchanges/{accepted}")).text, "pickup")
    assert "Share my address with Bob" in pickup and "<details" in pickup


async def test_an_empty_message_is_refused_in_the_messages_card_only(as_alice, accepted):
    response = await post_form(as_alice, f"/exchanges/{accepted}/messages", {"text": " "},
                               form_page=f"/exchanges/{accepted}")
    assert response.status_code == 422
    assert 'id="f-text-error"' in card(response.text, "thread")
    assert "Please check the highlighted fields" not in card(response.text, "what-next")


async def test_api_sharing_without_a_saved_address_asks_for_one(client, alice, accepted):
    from support.cast import api_token

    response = await client.post(f"/api/v1/exchanges/{accepted}/pickup-address", json={},
                                 headers=await api_token(client, alice))
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "address", "message": "Type the address where they can collect it."}]
