"""The report form and the coordinators' hide and remove forms show what they are about only to someone who
may see it: the same visibility as the item's own page, 404 otherwise (we don't even say it exists).

alice lends and asks on Elm Street, bob borrows from her, carol coordinates Elm Street; dave lives in Leeds
and coordinates Leeds Road.
"""

from __future__ import annotations

import pytest
from support.cast import ELM_STREET, LEEDS, app_client, history_exchange, insert_ask, insert_offer, make_street, \
    place_resident, post_form, sign_in

from streetshare import clock, db


@pytest.fixture
async def world(alice, bob, carol, dave):
    elm = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    for person in (alice, bob):
        await place_resident(person, elm)
    leeds = await make_street("Leeds Road", LEEDS, coordinator=dave)
    offer = await insert_offer(alice, elm, title="Alice's secret ladder")
    ask = await insert_ask(alice, elm, title="Alice needs a secret drill")
    exchange = await history_exchange(provider=alice, recipient=bob, offer=offer, state="requested")
    return {"elm": elm, "leeds": leeds, "offer": offer, "ask": ask, "exchange": exchange}


@pytest.fixture
async def as_dave(settings, dave, world):
    async with app_client(settings) as c:
        await sign_in(c, dave)
        yield c


@pytest.fixture
async def as_bob(settings, bob, world):
    async with app_client(settings) as c:
        await sign_in(c, bob)
        yield c


# What each report link is about, and the words its page would show.
TARGETS = [("offer", "offer", "Alice&#39;s secret ladder"), ("ask", "ask", "Alice needs a secret drill"),
           ("exchange", "exchange", "Alice&#39;s secret ladder"), ("resident", "alice", "Alice")]


def _id(world, alice, key):
    return alice.id if key == "alice" else world[key]


@pytest.mark.parametrize(("kind", "key", "shown"), TARGETS)
async def test_report_page_of_another_streets_item_is_404(as_dave, world, alice, kind, key, shown):
    response = await as_dave.get(f"/report?kind={kind}&id={_id(world, alice, key)}")

    assert response.status_code == 404
    assert shown not in response.text.split("<main", 1)[1]


@pytest.mark.parametrize(("kind", "key", "shown"), TARGETS)
async def test_report_page_of_an_item_in_scope_names_it(as_bob, world, alice, kind, key, shown):
    response = await as_bob.get(f"/report?kind={kind}&id={_id(world, alice, key)}")

    assert response.status_code == 200
    assert shown in response.text


async def test_report_page_of_someone_elses_exchange_on_my_street_is_404(settings, carol, world):
    async with app_client(settings) as c:
        await sign_in(c, carol)
        response = await c.get(f"/report?kind=exchange&id={world['exchange']}")

    assert response.status_code == 404
    assert "secret" not in response.text


async def test_report_page_of_a_hidden_offer_is_404_for_neighbours(as_bob, world):
    await db.execute("UPDATE offer SET hidden_at = $2, hidden_reason = 'rude' WHERE id = $1",
                     world["offer"], clock.now())

    response = await as_bob.get(f"/report?kind=offer&id={world['offer']}")

    assert response.status_code == 404


async def test_report_page_of_a_blocked_residents_offer_is_404(as_bob, world, alice, bob):
    await db.execute("INSERT INTO resident_block (blocker, blocked, created_at) VALUES ($1, $2, $3)",
                     alice.id, bob.id, clock.now())

    for kind, target in (("offer", world["offer"]), ("resident", alice.id)):
        response = await as_bob.get(f"/report?kind={kind}&id={target}")
        assert response.status_code == 404, kind


@pytest.mark.parametrize(("kind", "key", "shown"), TARGETS[:2] + TARGETS[3:])
async def test_sending_a_report_about_another_streets_item_is_404(as_dave, world, alice, kind, key, shown):
    response = await post_form(as_dave, "/report", {"kind": kind, "id": str(_id(world, alice, key)),
                                                    "reason": "I want to know what this is"}, form_page="/account")

    assert response.status_code == 404
    assert "secret" not in response.text
    assert await db.fetchval("SELECT count(*) FROM report") == 0


async def test_api_report_about_an_item_out_of_sight_is_404(settings, dave, bob, world):
    async with app_client(settings) as c:
        response = await c.post("/api/v1/auth/token", json={"email": dave.email, "password": dave.password})
        headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
        for kind, target in (("offer", world["offer"]), ("ask", world["ask"]), ("exchange", world["exchange"])):
            answer = await c.post("/api/v1/reports", json={"target_kind": kind, "target_id": target,
                                                           "reason": "What is this?"}, headers=headers)
            assert answer.status_code == 404, kind
    assert await db.fetchval("SELECT count(*) FROM report") == 0


async def test_hide_form_of_another_streets_offer_is_404_for_a_coordinator(as_dave, world):
    response = await as_dave.get(f"/streets/{world['leeds'].id}/hide?kind=offer&id={world['offer']}")

    assert response.status_code == 404
    assert "secret" not in response.text


async def test_hide_form_of_an_offer_on_the_street_names_it(settings, carol, world):
    async with app_client(settings) as c:
        await sign_in(c, carol)
        response = await c.get(f"/streets/{world['elm'].id}/hide?kind=offer&id={world['offer']}")

    assert response.status_code == 200
    assert "Alice&#39;s secret ladder" in response.text


async def test_remove_form_of_a_resident_of_another_street_is_404(as_dave, world, alice):
    response = await as_dave.get(f"/streets/{world['leeds'].id}/members/{alice.id}/remove")

    assert response.status_code == 404
    assert "Alice" not in response.text.split("<main", 1)[1]


@pytest.mark.parametrize("path", ["/report?kind=offer&id=2147483648", "/report?kind=resident&id=99999999999999999999",
                                  "/report?kind=ask&id=-1", "/streets/1/hide?kind=offer&id=2147483648"])
async def test_report_and_hide_forms_with_an_id_out_of_range_are_a_4xx_not_a_500(as_dave, path):
    response = await as_dave.get(path)

    assert response.status_code in {400, 404}
