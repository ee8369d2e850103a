"""The reputation API: POST /api/v1/exchanges/{id}/thanks and GET /api/v1/residents/{id}. The private
reliability hint is only in the answer for the coordinators of the resident's street.

alice lends on Elm Street, bob borrows (once late), carol coordinates Elm Street, dave lives in Leeds.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from support.cast import ELM_STREET, LEEDS, api_token, insert_offer, make_street, place_resident

from streetshare import clock, db
from streetshare.exchanges import service as exchanges
from streetshare.reputation import service

HINT_WORDS = ("reliability", "late_returns", "cancelled_after_accepting", "unanswered_requests")


@pytest.fixture
async def elm(alice, bob, carol, dave):
    street = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    for person in (alice, bob):
        await place_resident(person, street)
    await place_resident(dave, await make_street("Leeds Road", LEEDS))
    await db.execute("UPDATE resident SET home_address = '4 Elm Street' WHERE id = ANY($1::int[])", [alice.id, bob.id])
    return street


@pytest.fixture
async def ladder(alice, elm) -> int:
    return await insert_offer(alice, elm, kind="lend", title="Ladder", loan_days=5)


async def completed_loan(ladder, alice, bob, *, late: bool = False) -> int:
    start = clock.now() - timedelta(days=10)
    with clock.frozen_at(start):
        ex = (await exchanges.request_offer(ladder, acting=bob.id)).id
        await exchanges.accept(ex, acting=alice.id)
        await exchanges.hand_over(ex, acting=alice.id, due_back=(start + timedelta(days=2)).date())
    with clock.frozen_at(start + timedelta(days=5 if late else 1)):
        await exchanges.mark_returned(ex, acting=bob.id)
        await exchanges.confirm_return(ex, acting=alice.id)
    return ex


# ---------------------------------------------------------------- POST /exchanges/{id}/thanks


async def test_a_party_says_thanks_through_the_api(client, ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    response = await client.post(f"/api/v1/exchanges/{ex}/thanks", json={"text": "Thank you!"},
                                 headers=await api_token(client, bob))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["text"] == "Thank you!" and body["exchange_id"] == ex
    assert body["author"] == {"id": bob.id, "display_name": "Bob"}
    assert body["recipient"] == {"id": alice.id, "display_name": "Alice"}


async def test_thanks_twice_through_the_api_is_a_409(client, ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    headers = await api_token(client, bob)
    assert (await client.post(f"/api/v1/exchanges/{ex}/thanks", json={"text": "Thanks"}, headers=headers)).status_code == 201
    again = await client.post(f"/api/v1/exchanges/{ex}/thanks", json={"text": "Thanks again"}, headers=headers)
    assert again.status_code == 409 and "already said thanks" in again.json()["detail"]


async def test_thanks_before_completion_through_the_api_is_a_409(client, ladder, alice, bob):
    ex = (await exchanges.request_offer(ladder, acting=bob.id)).id
    response = await client.post(f"/api/v1/exchanges/{ex}/thanks", json={"text": "Thanks"},
                                 headers=await api_token(client, bob))
    assert response.status_code == 409


async def test_thanks_from_outside_the_exchange_through_the_api_is_a_404(client, ladder, alice, bob, carol):
    ex = await completed_loan(ladder, alice, bob)
    response = await client.post(f"/api/v1/exchanges/{ex}/thanks", json={"text": "Thanks"},
                                 headers=await api_token(client, carol))
    assert response.status_code == 404


async def test_an_empty_or_long_note_through_the_api_is_a_422_on_text(client, ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    headers = await api_token(client, bob)
    for text in ("", "x" * 281):
        response = await client.post(f"/api/v1/exchanges/{ex}/thanks", json={"text": text}, headers=headers)
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["text"]


async def test_thanks_without_a_token_is_a_401(client, ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    assert (await client.post(f"/api/v1/exchanges/{ex}/thanks", json={"text": "Thanks"})).status_code == 401


# ---------------------------------------------------------------- GET /residents/{id}


async def test_a_neighbour_reads_a_residents_profile_and_reputation(client, ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    await completed_loan(ladder, alice, bob, late=True)
    await service.say_thanks(ex, "Lovely, thanks", acting=alice.id)
    response = await client.get(f"/api/v1/residents/{bob.id}", headers=await api_token(client, alice))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == bob.id and body["display_name"] == "Bob"
    assert body["street"]["name"] == "Elm Street" and body["member_since"]
    assert body["reputation"] == {"provided": 0, "received": 2, "thanks": 1, "on_time_returns": 1, "loans_returned": 2}
    assert [t["text"] for t in body["thanks_received"]] == ["Lovely, thanks"]
    assert body["met_in_person"] is False


async def test_a_plain_neighbour_gets_none_of_the_private_hint(client, ladder, alice, bob):
    await completed_loan(ladder, alice, bob, late=True)
    response = await client.get(f"/api/v1/residents/{bob.id}", headers=await api_token(client, alice))
    assert "reliability" not in response.json()
    for word in HINT_WORDS:
        assert word not in response.text
    assert "bob@example.org" not in response.text and "4 Elm Street" not in response.text
    assert "home" not in json.dumps(response.json())


async def test_the_streets_coordinator_gets_the_private_hint(client, ladder, alice, bob, carol):
    await completed_loan(ladder, alice, bob, late=True)
    body = (await client.get(f"/api/v1/residents/{bob.id}", headers=await api_token(client, carol))).json()
    hint = body["reliability"]
    assert (hint["completed"], hint["late_returns"], hint["cancelled_after_accepting"], hint["unanswered_requests"]) == (
        1, 1, 0, 0)
    assert hint["since"]


async def test_a_resident_reading_their_own_profile_gets_no_hint(client, ladder, alice, bob):
    await completed_loan(ladder, alice, bob, late=True)
    response = await client.get(f"/api/v1/residents/{bob.id}", headers=await api_token(client, bob))
    assert response.status_code == 200 and "reliability" not in response.json()


async def test_a_resident_in_a_far_street_gets_a_404(client, alice, dave, elm):
    response = await client.get(f"/api/v1/residents/{alice.id}", headers=await api_token(client, dave))
    assert response.status_code == 404
    assert "Alice" not in response.text


async def test_the_openapi_schema_describes_the_reputation_endpoints(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert "post" in paths["/api/v1/exchanges/{exchange_id}/thanks"]
    assert "get" in paths["/api/v1/residents/{resident_id}"]
