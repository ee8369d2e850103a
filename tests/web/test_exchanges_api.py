"""The exchange API (api.md, Exchanges): bearer tokens, JSON in and out, 404 for non-parties,
409 for a transition that is no longer possible, and every endpoint in the OpenAPI schema."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from support.cast import ELM_STREET, api_token, insert_ask, insert_offer, make_street, place_resident

from streetshare import clock, db


@pytest.fixture
async def elm(alice, bob, carol):
    street = await make_street("Elm Street", ELM_STREET)
    for person in (alice, bob, carol):
        await place_resident(person, street)
    return street


@pytest.fixture
async def ladder(alice, elm) -> int:
    return await insert_offer(alice, elm, kind="lend", title="Ladder", loan_days=5)


@pytest.fixture
async def tokens(client, alice, bob, carol):
    return {p.display_name: await api_token(client, p) for p in (alice, bob, carol)}


async def test_a_loan_from_request_to_confirmed_return_through_the_api(client, tokens, ladder, alice, bob):
    due = (clock.now().date() + timedelta(days=4)).isoformat()
    created = await client.post(f"/api/v1/offers/{ladder}/exchanges", json={"message": "Gutters", "due_back": due},
                                headers=tokens["Bob"])
    assert created.status_code == 201, created.text
    ex = created.json()["id"]
    assert created.json() == {"id": ex, "state": "requested"}
    for who, path, body, state in [
        ("Alice", "accept", None, "accepted"),
        ("Alice", "hand-over", {"due_back": due}, "handed_over"),
        ("Bob", "return", None, "returned"),
        ("Alice", "confirm-return", None, "completed"),
    ]:
        response = await client.post(f"/api/v1/exchanges/{ex}/{path}", json=body, headers=tokens[who])
        assert response.status_code == 200, (path, response.text)
        assert response.json()["state"] == state
    detail = (await client.get(f"/api/v1/exchanges/{ex}", headers=tokens["Bob"])).json()
    assert detail["state"] == "completed" and detail["due_back"] == due and detail["overdue"] is False
    assert detail["offer"] == {"id": ladder, "title": "Ladder"} and detail["ask"] is None
    assert detail["provider"] == {"id": alice.id, "display_name": "Alice"}
    assert detail["recipient"] == {"id": bob.id, "display_name": "Bob"}
    assert [(e["action"], e["actor"]["display_name"]) for e in detail["events"]] == [
        ("request", "Bob"), ("accept", "Alice"), ("hand_over", "Alice"), ("mark_returned", "Bob"),
        ("confirm_return", "Alice")]
    assert all(e["at"].endswith(("Z", "+00:00")) for e in detail["events"])
    assert "email" not in created.text + str(detail)


async def test_give_skill_and_time_are_completed_through_the_api(client, tokens, alice, bob, elm):
    for kind in ("give", "skill", "time"):
        offer = await insert_offer(alice, elm, kind=kind, title=f"A {kind}")
        ex = (await client.post(f"/api/v1/offers/{offer}/exchanges", json={}, headers=tokens["Bob"])).json()["id"]
        assert (await client.post(f"/api/v1/exchanges/{ex}/accept", headers=tokens["Alice"])).status_code == 200
        done = await client.post(f"/api/v1/exchanges/{ex}/complete", headers=tokens["Bob"])
        assert done.status_code == 200 and done.json()["state"] == "completed"


async def test_offering_help_with_an_ask_through_the_api(client, tokens, ladder, alice, bob, elm):
    ask = await insert_ask(bob, elm, title="A ladder please")
    response = await client.post(f"/api/v1/asks/{ask}/exchanges", json={"offer_id": ladder, "message": "Mine"},
                                 headers=tokens["Alice"])
    assert response.status_code == 201 and response.json()["state"] == "requested"
    detail = (await client.get(f"/api/v1/exchanges/{response.json()['id']}", headers=tokens["Bob"])).json()
    assert detail["ask"] == {"id": ask, "title": "A ladder please"} and detail["started_by"] == "provider"
    assert detail["allowed_actions"] == ["accept", "decline", "cancel"]


async def test_exchange_is_a_404_for_anyone_but_its_parties(client, tokens, ladder):
    ex = (await client.post(f"/api/v1/offers/{ladder}/exchanges", json={}, headers=tokens["Bob"])).json()["id"]
    for path in (f"/api/v1/exchanges/{ex}", f"/api/v1/exchanges/{ex}/messages"):
        response = await client.get(path, headers=tokens["Carol"])
        assert response.status_code == 404 and "detail" in response.json()
    response = await client.post(f"/api/v1/exchanges/{ex}/accept", headers=tokens["Carol"])
    assert response.status_code == 404


async def test_accepting_own_request_or_twice_is_a_409_with_a_clear_detail(client, tokens, ladder):
    ex = (await client.post(f"/api/v1/offers/{ladder}/exchanges", json={}, headers=tokens["Bob"])).json()["id"]
    own = await client.post(f"/api/v1/exchanges/{ex}/accept", headers=tokens["Bob"])
    assert own.status_code == 409 and own.json()["detail"] == "You can't accept your own request."
    await client.post(f"/api/v1/exchanges/{ex}/accept", headers=tokens["Alice"])
    again = await client.post(f"/api/v1/exchanges/{ex}/accept", headers=tokens["Alice"])
    assert again.status_code == 409 and again.json()["detail"] == "This exchange has already been accepted."


async def test_requesting_own_offer_is_403_and_a_bad_date_is_422(client, tokens, ladder):
    own = await client.post(f"/api/v1/offers/{ladder}/exchanges", json={}, headers=tokens["Alice"])
    assert own.status_code == 403
    bad = await client.post(f"/api/v1/offers/{ladder}/exchanges", json={"due_back": "2020-01-01"},
                            headers=tokens["Bob"])
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "due_back"
    malformed = await client.post(f"/api/v1/offers/{ladder}/exchanges", json={"due_back": "soon"},
                                  headers=tokens["Bob"])
    assert malformed.status_code in (400, 422)


async def test_decline_and_cancel_take_an_optional_note(client, tokens, ladder):
    ex = (await client.post(f"/api/v1/offers/{ladder}/exchanges", json={}, headers=tokens["Bob"])).json()["id"]
    response = await client.post(f"/api/v1/exchanges/{ex}/decline", json={"note": "Away this week"},
                                 headers=tokens["Alice"])
    assert response.json()["state"] == "declined"
    events = (await client.get(f"/api/v1/exchanges/{ex}", headers=tokens["Bob"])).json()["events"]
    assert events[-1]["note"] == "Away this week"
    again = (await client.post(f"/api/v1/offers/{ladder}/exchanges", json={}, headers=tokens["Bob"])).json()["id"]
    await client.post(f"/api/v1/exchanges/{again}/accept", headers=tokens["Alice"])
    cancelled = await client.post(f"/api/v1/exchanges/{again}/cancel", headers=tokens["Bob"])
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"


async def test_my_exchanges_filter_by_state_and_paginate(client, tokens, alice, bob, elm):
    for i in range(3):
        offer = await insert_offer(alice, elm, kind="skill", title=f"Help {i}")
        await client.post(f"/api/v1/offers/{offer}/exchanges", json={}, headers=tokens["Bob"])
    first = await db.fetchval("SELECT min(id) FROM exchange")
    await client.post(f"/api/v1/exchanges/{first}/accept", headers=tokens["Alice"])
    everything = (await client.get("/api/v1/exchanges", headers=tokens["Bob"])).json()
    assert [e["title"] for e in everything["items"]] == ["Help 2", "Help 1", "Help 0"]
    assert everything["next"] is None
    requested = (await client.get("/api/v1/exchanges?state=requested", headers=tokens["Alice"])).json()
    assert [e["offer"]["title"] for e in requested["items"]] == ["Help 2", "Help 1"]
    bad = await client.get("/api/v1/exchanges?state=lost", headers=tokens["Bob"])
    assert bad.status_code == 422
    assert (await client.get("/api/v1/exchanges", headers=tokens["Carol"])).json() == {"items": [], "next": None}


async def test_messages_between_the_two_parties(client, tokens, ladder):
    ex = (await client.post(f"/api/v1/offers/{ladder}/exchanges", json={}, headers=tokens["Bob"])).json()["id"]
    early = await client.post(f"/api/v1/exchanges/{ex}/messages", json={"text": "Hi"}, headers=tokens["Bob"])
    assert early.status_code == 409
    await client.post(f"/api/v1/exchanges/{ex}/accept", headers=tokens["Alice"])
    sent = await client.post(f"/api/v1/exchanges/{ex}/messages", json={"text": "After six?"}, headers=tokens["Bob"])
    assert sent.status_code == 201 and sent.json()["author"]["display_name"] == "Bob"
    thread = (await client.get(f"/api/v1/exchanges/{ex}/messages", headers=tokens["Alice"])).json()["items"]
    assert [(m["author"]["display_name"], m["text"]) for m in thread] == [("Bob", "After six?")]
    stranger = await client.post(f"/api/v1/exchanges/{ex}/messages", json={"text": "Hi"}, headers=tokens["Carol"])
    assert stranger.status_code == 404
    empty = await client.post(f"/api/v1/exchanges/{ex}/messages", json={"text": " "}, headers=tokens["Bob"])
    assert empty.status_code == 422


async def test_overdue_shows_in_the_api(client, tokens, ladder):
    ex = (await client.post(f"/api/v1/offers/{ladder}/exchanges", json={}, headers=tokens["Bob"])).json()["id"]
    await client.post(f"/api/v1/exchanges/{ex}/accept", headers=tokens["Alice"])
    await client.post(f"/api/v1/exchanges/{ex}/hand-over", headers=tokens["Alice"])
    clock.travel(timedelta(days=6))
    detail = (await client.get(f"/api/v1/exchanges/{ex}", headers=tokens["Alice"])).json()
    assert detail["overdue"] is True
    assert date.fromisoformat(detail["due_back"]) < clock.now().date()


async def test_more_time_and_a_new_date_through_the_api(client, tokens, ladder):
    ex = (await client.post(f"/api/v1/offers/{ladder}/exchanges", json={}, headers=tokens["Bob"])).json()["id"]
    await client.post(f"/api/v1/exchanges/{ex}/accept", headers=tokens["Alice"])
    await client.post(f"/api/v1/exchanges/{ex}/hand-over", headers=tokens["Alice"])
    until = (clock.now().date() + timedelta(days=20)).isoformat()
    asked = await client.post(f"/api/v1/exchanges/{ex}/more-time", json={"until": until}, headers=tokens["Bob"])
    assert asked.status_code == 200
    agreed = await client.post(f"/api/v1/exchanges/{ex}/new-date", headers=tokens["Alice"])
    assert agreed.status_code == 200
    assert (await client.get(f"/api/v1/exchanges/{ex}", headers=tokens["Bob"])).json()["due_back"] == until


async def test_without_a_token_the_api_answers_401(client, ladder):
    assert (await client.post(f"/api/v1/offers/{ladder}/exchanges", json={})).status_code == 401
    assert (await client.get("/api/v1/exchanges")).status_code == 401


async def test_two_simultaneous_accepts_over_http_give_one_200_and_one_409(client, tokens, alice, elm, bob):
    for round_ in range(10):
        offer = await insert_offer(alice, elm, kind="lend", title=f"Drill {round_}")
        ex = (await client.post(f"/api/v1/offers/{offer}/exchanges", json={}, headers=tokens["Bob"])).json()["id"]
        answers = await asyncio.gather(*(client.post(f"/api/v1/exchanges/{ex}/accept", headers=tokens["Alice"])
                                         for _ in range(2)))
        assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]


async def test_every_exchange_endpoint_is_in_the_openapi_schema(client):
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    expected = {
        "/api/v1/offers/{offer_id}/exchanges": {"post"},
        "/api/v1/asks/{ask_id}/exchanges": {"post"},
        "/api/v1/exchanges": {"get"},
        "/api/v1/exchanges/{exchange_id}": {"get"},
        "/api/v1/exchanges/{exchange_id}/messages": {"get", "post"},
        **{f"/api/v1/exchanges/{{exchange_id}}/{verb}": {"post"} for verb in
           ("accept", "decline", "cancel", "withdraw", "hand-over", "return", "confirm-return", "complete",
            "more-time", "new-date", "pickup-address")},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
