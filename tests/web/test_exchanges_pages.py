"""Exchange pages over HTTP: request forms, the exchange page (parties only), its buttons and forms
(all with CSRF), the 409 page, choosing between requesters, and "My exchanges"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from support.cast import (ELM_STREET, LEEDS, app_client, insert_ask, insert_offer, make_street, place_resident,
                          post_form, quick_resident, sign_in)

from streetshare import clock, db
from streetshare.exchanges import service
from streetshare.web.templating import make_environment


@pytest.fixture
async def elm(alice, bob, carol):
    street = await make_street("Elm Street", ELM_STREET)
    for person in (alice, bob, carol):
        await place_resident(person, street)
    return street


@pytest.fixture
async def ladder(alice, elm) -> int:
    return await insert_offer(alice, elm, kind="lend", title="Ladder", loan_days=5)


def exchange_id_from(response) -> int:
    assert response.status_code == 303, response.text
    match = re.match(r"/exchanges/(\d+)", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


# ---------------------------------------------------------------- the buttons other pages include


@pytest.mark.parametrize(("kind", "label"), [("lend", "Ask to borrow"), ("give", "I&#39;d like this"),
                                             ("skill", "Ask for help"), ("time", "Book a slot")])
def test_offer_page_button_says_the_right_thing_for_each_kind(kind, label):
    macros = make_environment().get_template("exchanges/_actions.html").module
    html = str(macros.request_button(7, kind))
    assert 'href="/offers/7/request"' in html and label in html


def test_offer_page_button_links_to_an_existing_request_instead():
    macros = make_environment().get_template("exchanges/_actions.html").module
    assert 'href="/exchanges/3"' in str(macros.request_button(7, "lend", existing=3))


def test_ask_page_button_offers_help():
    macros = make_environment().get_template("exchanges/_actions.html").module
    assert 'href="/asks/4/help"' in str(macros.help_button(4)) and "I can help" in str(macros.help_button(4))


# ---------------------------------------------------------------- asking for an offer


async def test_borrower_sees_the_request_form_with_dates(as_bob, ladder):
    response = await as_bob.get(f"/offers/{ladder}/request")
    assert response.status_code == 200
    assert "Ask to borrow" in response.text
    assert 'name="wanted_from"' in response.text and 'name="due_back"' in response.text
    assert 'name="_csrf_token"' in response.text


async def test_borrower_asks_to_borrow_and_lands_on_the_exchange(as_bob, ladder, bob):
    response = await post_form(as_bob, f"/offers/{ladder}/request", {"message": "For the gutters", "wanted_from": "",
                                                                     "due_back": ""})
    exchange_id = exchange_id_from(response)
    page = await as_bob.get(response.headers["location"])
    assert page.status_code == 200
    assert "Your request is sent" in page.text and "For the gutters" in page.text
    assert await db.fetchval("SELECT recipient FROM exchange WHERE id = $1", exchange_id) == bob.id


@pytest.mark.parametrize(("fields", "field"), [({"wanted_from": "2020-01-01"}, "wanted_from"),
                                              ({"due_back": "not a date"}, "due_back")])
async def test_request_form_shows_the_error_next_to_its_field(as_bob, ladder, fields, field):
    response = await post_form(as_bob, f"/offers/{ladder}/request", {"message": "Hello", **fields},
                               form_page=f"/offers/{ladder}/request")
    assert response.status_code == 422
    assert f'id="f-{field}-error"' in response.text and ">Hello</textarea>" in response.text
    assert await db.fetchval("SELECT count(*) FROM exchange") == 0


async def test_request_without_csrf_is_refused(as_bob, ladder):
    response = await as_bob.post(f"/offers/{ladder}/request", data={"message": "hi"})
    assert response.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM exchange") == 0


async def test_asking_twice_shows_the_existing_request(as_bob, ladder, bob):
    first = exchange_id_from(await post_form(as_bob, f"/offers/{ladder}/request", {}))
    page = await as_bob.get(f"/offers/{ladder}/request")
    assert f'href="/exchanges/{first}"' in page.text and "already asked" in page.text


async def test_owner_cannot_request_own_offer(as_alice, ladder):
    assert (await as_alice.get(f"/offers/{ladder}/request")).status_code == 403


async def test_resident_across_town_cannot_see_the_request_form(settings, ladder):
    dave = await quick_resident("Dave")
    await place_resident(dave, await make_street("Leeds Road", LEEDS))
    async with app_client(settings) as c:
        await sign_in(c, dave)
        assert (await c.get(f"/offers/{ladder}/request")).status_code == 404


async def test_signed_out_visitor_is_sent_to_sign_in(client, ladder):
    response = await client.get(f"/offers/{ladder}/request")
    assert response.status_code == 303 and response.headers["location"].startswith("/signin?next=")


async def test_helper_offers_help_with_an_ask_naming_an_offer(as_alice, alice, bob, elm, ladder):
    ask = await insert_ask(bob, elm, title="Need a ladder")
    form = await as_alice.get(f"/asks/{ask}/help")
    assert form.status_code == 200 and "Ladder" in form.text and "I can help" in form.text
    response = await post_form(as_alice, f"/asks/{ask}/help", {"offer_id": str(ladder), "message": "Mine's free"})
    exchange_id = exchange_id_from(response)
    row = await db.fetchrow("SELECT provider, recipient, offer, ask FROM exchange WHERE id = $1", exchange_id)
    assert tuple(row) == (alice.id, bob.id, ladder, ask)


# ---------------------------------------------------------------- the exchange page


async def test_exchange_page_is_for_its_parties_only(settings, as_alice, as_bob, ladder, bob, carol):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    assert (await as_alice.get(f"/exchanges/{ex}")).status_code == 200
    assert (await as_bob.get(f"/exchanges/{ex}")).status_code == 200
    async with app_client(settings) as c:
        await sign_in(c, carol)
        assert (await c.get(f"/exchanges/{ex}")).status_code == 404


async def test_provider_sees_accept_and_decline_and_the_requester_only_withdraw(as_alice, as_bob, ladder, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    alices = (await as_alice.get(f"/exchanges/{ex}")).text
    assert f'action="/exchanges/{ex}/accept"' in alices and f'action="/exchanges/{ex}/decline"' in alices
    assert f'action="/exchanges/{ex}/withdraw"' not in alices
    assert "New to exchanging on Streetshare" in alices  # the private hint, for the one choosing
    bobs = (await as_bob.get(f"/exchanges/{ex}")).text
    assert f'action="/exchanges/{ex}/withdraw"' in bobs
    assert f'action="/exchanges/{ex}/accept"' not in bobs and "New to exchanging" not in bobs


async def test_lender_accepts_with_a_form_and_the_borrower_can_then_write(as_alice, as_bob, ladder, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    response = await post_form(as_alice, f"/exchanges/{ex}/accept", {}, form_page=f"/exchanges/{ex}")
    assert response.status_code == 303 and response.headers["location"] == f"/exchanges/{ex}?did=accept"
    bobs = (await as_bob.get(f"/exchanges/{ex}")).text
    assert f'action="/exchanges/{ex}/messages"' in bobs
    sent = await post_form(as_bob, f"/exchanges/{ex}/messages", {"text": "When suits?"}, form_page=f"/exchanges/{ex}")
    assert sent.status_code == 303
    assert "When suits?" in (await as_alice.get(f"/exchanges/{ex}")).text


async def test_accepting_again_is_a_409_page_that_says_why(as_alice, ladder, alice, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    token_page = f"/exchanges/{ex}"
    await service.accept(ex, acting=alice.id)
    response = await post_form(as_alice, f"/exchanges/{ex}/accept", {}, form_page=token_page)
    assert response.status_code == 409
    assert "no longer possible" in response.text and "already been accepted" in response.text


async def test_borrower_posting_accept_is_refused_with_a_409(as_bob, ladder, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    response = await post_form(as_bob, f"/exchanges/{ex}/accept", {}, form_page=f"/exchanges/{ex}")
    assert response.status_code == 409 and "your own request" in response.text


async def test_stranger_posting_to_an_exchange_gets_a_404(settings, ladder, bob, carol):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    async with app_client(settings) as c:
        await sign_in(c, carol)
        response = await post_form(c, f"/exchanges/{ex}/decline", {}, form_page="/account")
        assert response.status_code == 404
    assert await db.fetchval("SELECT state FROM exchange WHERE id = $1", ex) == "requested"


async def test_hand_over_with_a_past_date_shows_the_error_by_the_field(as_alice, ladder, alice, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    await service.accept(ex, acting=alice.id)
    page = (await as_alice.get(f"/exchanges/{ex}")).text
    assert 'name="due_back"' in page
    response = await post_form(as_alice, f"/exchanges/{ex}/hand-over", {"due_back": "2020-01-01"},
                               form_page=f"/exchanges/{ex}")
    assert response.status_code == 422 and 'id="f-due_back-error"' in response.text
    ok = await post_form(as_alice, f"/exchanges/{ex}/hand-over",
                         {"due_back": (clock.now().date() + timedelta(days=3)).isoformat()}, form_page=f"/exchanges/{ex}")
    assert ok.status_code == 303
    assert await db.fetchval("SELECT state FROM exchange WHERE id = $1", ex) == "handed_over"


async def test_pickup_address_is_shared_with_one_tap_and_gone_when_it_ends(as_alice, as_bob, ladder, alice, bob):
    await db.execute("UPDATE resident SET home_address = '4 Elm Street, Huddersfield' WHERE id = $1", alice.id)
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    assert "4 Elm Street" not in (await as_bob.get(f"/exchanges/{ex}")).text
    await service.accept(ex, acting=alice.id)
    assert "4 Elm Street" not in (await as_bob.get(f"/exchanges/{ex}")).text
    response = await post_form(as_alice, f"/exchanges/{ex}/pickup-address", {"address": ""}, form_page=f"/exchanges/{ex}")
    assert response.status_code == 303
    assert "4 Elm Street, Huddersfield" in (await as_bob.get(f"/exchanges/{ex}")).text
    await service.hand_over(ex, acting=alice.id)
    await service.confirm_return(ex, acting=alice.id)
    assert "4 Elm Street" not in (await as_bob.get(f"/exchanges/{ex}")).text


async def test_borrower_cannot_share_a_pickup_address(as_bob, ladder, alice, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    await service.accept(ex, acting=alice.id)
    assert f'action="/exchanges/{ex}/pickup-address"' not in (await as_bob.get(f"/exchanges/{ex}")).text
    response = await post_form(as_bob, f"/exchanges/{ex}/pickup-address", {"address": "x"}, form_page=f"/exchanges/{ex}")
    assert response.status_code == 409


async def test_overdue_loan_says_so_on_its_page(as_bob, ladder, alice, bob):
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    await service.accept(ex, acting=alice.id)
    await service.hand_over(ex, acting=alice.id)
    clock.travel(timedelta(days=8))
    page = (await as_bob.get(f"/exchanges/{ex}")).text
    assert "Overdue" in page and "This was due back on" in page
    assert "Ask for more time" in page


# ---------------------------------------------------------------- choosing, and my exchanges


async def test_giver_chooses_between_requesters_seeing_their_private_hints(settings, as_alice, as_bob, alice, bob,
                                                                           carol, elm):
    cot = await insert_offer(alice, elm, kind="give", title="Cot", category="children")
    first = (await service.request_offer(cot, acting=bob.id, message="For my niece")).id
    second = (await service.request_offer(cot, acting=carol.id)).id
    page = await as_alice.get(f"/offers/{cot}/requests")
    assert page.status_code == 200
    assert "Bob" in page.text and "Carol" in page.text and "For my niece" in page.text
    assert "Give it to Carol" in page.text and "only you see this" in page.text
    assert (await as_bob.get(f"/offers/{cot}/requests")).status_code == 404
    response = await post_form(as_alice, f"/exchanges/{second}/accept", {}, form_page=f"/offers/{cot}/requests")
    assert response.status_code == 303
    assert await db.fetchval("SELECT state FROM exchange WHERE id = $1", first) == "declined"
    bobs = (await as_bob.get(f"/exchanges/{first}")).text
    assert "another neighbour" in bobs


async def test_my_exchanges_shows_what_needs_my_answer_and_what_is_overdue(as_alice, ladder, alice, bob, carol, elm):
    cot = await insert_offer(alice, elm, kind="give", title="Cot")
    await service.request_offer(cot, acting=carol.id)
    ex = (await service.request_offer(ladder, acting=bob.id)).id
    await service.accept(ex, acting=alice.id)
    await service.hand_over(ex, acting=alice.id)
    clock.travel(timedelta(days=7))
    page = await as_alice.get("/exchanges")
    assert page.status_code == 200
    needs, overdue, in_progress, done = re.split(r'<h2 id="g-(?:overdue|in_progress|done)">', page.text)
    assert "Cot" in needs and "Ladder" in overdue and "Overdue" in overdue
    assert "Nothing in progress." in in_progress


async def test_my_exchanges_page_needs_signing_in(client):
    response = await client.get("/exchanges")
    assert response.status_code == 303
