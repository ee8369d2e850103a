"""Reputation pages over HTTP: a resident's profile (neighbours in scope only; the private hint only for
the street's coordinators), the thanks form on a completed exchange, and names that lead to profiles.

alice lends on Elm Street, bob borrows (and once brought the ladder back late), carol coordinates
Elm Street, dave lives in Leeds.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from support.cast import ELM_STREET, LEEDS, insert_offer, make_street, place_resident, post_form

from streetshare import clock, db
from streetshare.exchanges import service as exchanges
from streetshare.reputation import service

# Words only the private hint uses: none of them may reach a page or answer for a plain neighbour.
HINT_WORDS = ("late return", "cancelled after saying yes", "left unanswered", "in the last 6 months",
              "For coordinators", "exchanges on Streetshare", "New to exchanging", "reliability")


@pytest.fixture
async def elm(alice, bob, carol, dave):
    street = await make_street("Elm Street", ELM_STREET, coordinator=carol)
    for person in (alice, bob):
        await place_resident(person, street)
    await place_resident(dave, await make_street("Leeds Road", LEEDS))
    await db.execute("UPDATE resident SET home_address = '4 Elm Street, Huddersfield' WHERE id = ANY($1::int[])",
                     [alice.id, bob.id])
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


def assert_no_hint(html: str) -> None:
    for word in HINT_WORDS:
        assert word not in html, word


# ---------------------------------------------------------------- the profile


async def test_neighbour_sees_the_profile_with_figures_and_thanks(as_bob, ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    await service.say_thanks(ex, "Lovely ladder, thank you!", acting=bob.id)
    page = await as_bob.get(f"/residents/{alice.id}")
    assert page.status_code == 200
    html = page.text
    assert "<h1 id=\"profile-name\">Alice</h1>" in html and "Elm Street" in html
    assert f"Member since {clock.now():%B %Y}" in html
    assert re.search(r"Lent, gave or helped</dt><dd>1 time<", html)
    assert re.search(r"Borrowed, received or was helped</dt><dd>None yet<", html)
    assert re.search(r"Thanks received</dt><dd>1<", html)
    assert "Lovely ladder, thank you!" in html and f'href="/residents/{bob.id}">Bob</a>' in html
    assert "alice@example.org" not in html and "4 Elm Street" not in html
    assert "Met in person" not in html


async def test_loans_returned_on_time_read_as_x_of_y(as_alice, ladder, alice, bob):
    await completed_loan(ladder, alice, bob)
    await completed_loan(ladder, alice, bob, late=True)
    html = (await as_alice.get(f"/residents/{bob.id}")).text
    assert "returned on time 1 of 2" in html
    assert "returned on time" not in (await as_alice.get(f"/residents/{alice.id}")).text  # she never borrowed


async def test_plain_neighbour_sees_none_of_the_private_hint(as_alice, ladder, alice, bob):
    await completed_loan(ladder, alice, bob, late=True)
    html = (await as_alice.get(f"/residents/{bob.id}")).text
    assert "Bob" in html
    assert_no_hint(html)


async def test_the_streets_coordinator_sees_the_private_hint_on_the_profile(as_carol, ladder, alice, bob):
    await completed_loan(ladder, alice, bob, late=True)
    html = (await as_carol.get(f"/residents/{bob.id}")).text
    assert "For coordinators" in html
    assert "1 completed exchange on Streetshare · 1 late return in the last 6 months" in html


async def test_a_resident_does_not_see_their_own_hint_on_their_profile(as_bob, ladder, alice, bob):
    await completed_loan(ladder, alice, bob, late=True)
    html = (await as_bob.get(f"/residents/{bob.id}")).text
    assert "This is how your neighbours see you" in html
    assert_no_hint(html)


async def test_a_resident_in_a_far_street_gets_not_found(as_dave, alice, elm):
    page = await as_dave.get(f"/residents/{alice.id}")
    assert page.status_code == 404
    assert "Alice" not in page.text
    assert (await as_dave.get("/residents/999999")).status_code == 404


async def test_signed_out_visitors_are_sent_to_sign_in(client, alice, elm):
    page = await client.get(f"/residents/{alice.id}")
    assert page.status_code in (302, 303) and "/signin" in page.headers["location"]


async def test_met_in_person_badge_shows_once_a_coordinator_has_met_them(as_bob, alice, carol, elm):
    from streetshare.coordinators import service as coordinators

    await coordinators.mark_met_in_person(elm.id, alice.id, acting=carol.id)
    assert "Met in person" in (await as_bob.get(f"/residents/{alice.id}")).text


async def test_hidden_thanks_are_left_out_of_the_profile(as_bob, ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    note = await service.say_thanks(ex, "Something unkind", acting=bob.id)
    await db.execute("UPDATE thanks SET hidden_at = now(), hidden_reason = 'Unkind' WHERE id = $1", note)
    html = (await as_bob.get(f"/residents/{alice.id}")).text
    assert "Something unkind" not in html and "No thanks yet." in html


async def test_neighbours_can_report_a_thanks_note_but_not_their_own(as_alice, as_bob, ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    note = await service.say_thanks(ex, "Thanks!", acting=bob.id)
    link = f'href="/report?kind=thanks&amp;id={note}'
    assert link in (await as_alice.get(f"/residents/{alice.id}")).text
    assert link not in (await as_bob.get(f"/residents/{alice.id}")).text


# ---------------------------------------------------------------- saying thanks


async def test_a_party_says_thanks_and_it_shows_on_the_other_s_profile(as_bob, ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    form = await as_bob.get(f"/exchanges/{ex}/thanks")
    assert form.status_code == 200 and "Say thanks to Alice" in form.text
    response = await post_form(as_bob, f"/exchanges/{ex}/thanks", {"text": "Perfect for the gutters!"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/residents/{alice.id}?did=thanks#thanks"
    profile = await as_bob.get(response.headers["location"])
    assert "Your note is on Alice" in profile.text and "Perfect for the gutters!" in profile.text
    again = await as_bob.get(f"/exchanges/{ex}/thanks")
    assert "You said thanks" in again.text and 'name="text"' not in again.text


async def test_the_other_party_sees_the_thanks_and_can_thank_back(as_alice, ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    await service.say_thanks(ex, "Perfect for the gutters!", acting=bob.id)
    page = await as_alice.get(f"/exchanges/{ex}/thanks")
    assert "Perfect for the gutters!" in page.text and "Bob thanked you" in page.text
    assert 'name="text"' in page.text


async def test_thanking_twice_is_refused_with_409(as_bob, ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    await service.say_thanks(ex, "Thanks!", acting=bob.id)
    response = await post_form(as_bob, f"/exchanges/{ex}/thanks", {"text": "Thanks again"}, form_page="/account")
    assert response.status_code == 409
    assert "already said thanks" in response.text


async def test_thanks_before_the_exchange_is_complete_is_refused_with_409(as_bob, ladder, alice, bob):
    ex = (await exchanges.request_offer(ladder, acting=bob.id)).id
    page = await as_bob.get(f"/exchanges/{ex}/thanks")
    assert "once the exchange is complete" in page.text and 'name="text"' not in page.text
    response = await post_form(as_bob, f"/exchanges/{ex}/thanks", {"text": "Thanks"}, form_page=f"/exchanges/{ex}")
    assert response.status_code == 409


async def test_someone_outside_the_exchange_gets_not_found(as_carol, ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    assert (await as_carol.get(f"/exchanges/{ex}/thanks")).status_code == 404
    response = await post_form(as_carol, f"/exchanges/{ex}/thanks", {"text": "Thanks"}, form_page="/account")
    assert response.status_code == 404


async def test_an_empty_note_is_sent_back_with_the_error_next_to_the_field(as_bob, ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    response = await post_form(as_bob, f"/exchanges/{ex}/thanks", {"text": "   "})
    assert response.status_code == 422
    assert 'id="f-text-error">Write a few words of thanks.' in response.text
    assert not await db.fetchval("SELECT count(*) FROM thanks")


async def test_thanks_form_needs_the_csrf_token(as_bob, ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    response = await as_bob.post(f"/exchanges/{ex}/thanks", data={"text": "Thanks"})
    assert response.status_code == 403
    assert not await db.fetchval("SELECT count(*) FROM thanks")


# ---------------------------------------------------------------- names that lead to profiles


async def test_completed_exchange_page_offers_thanks_and_links_the_other_party(as_bob, ladder, alice, bob):
    ex = await completed_loan(ladder, alice, bob)
    html = (await as_bob.get(f"/exchanges/{ex}")).text
    assert f'href="/exchanges/{ex}/thanks"' in html and "Say thanks to Alice" in html
    assert f'<a href="/residents/{alice.id}">Alice</a>' in html


async def test_an_exchange_in_progress_offers_no_thanks_yet(as_bob, ladder, alice, bob):
    ex = (await exchanges.request_offer(ladder, acting=bob.id)).id
    assert f'href="/exchanges/{ex}/thanks"' not in (await as_bob.get(f"/exchanges/{ex}")).text


async def test_offer_page_links_the_owner_to_their_profile(as_bob, ladder, alice):
    assert f'href="/residents/{alice.id}">Alice</a>' in (await as_bob.get(f"/offers/{ladder}")).text


async def test_the_giver_choosing_sees_each_requesters_recent_record_kindly(as_alice, ladder, alice, bob, carol, elm):
    await completed_loan(ladder, alice, bob, late=True)
    await place_resident(carol, elm)
    cot = await insert_offer(alice, elm, kind="give", title="Cot")
    await exchanges.request_offer(cot, acting=bob.id)
    await exchanges.request_offer(cot, acting=carol.id)
    html = (await as_alice.get(f"/offers/{cot}/requests")).text
    assert "1 completed exchange on Streetshare · 1 late return in the last 6 months" in html
    assert "New to exchanging on Streetshare" in html  # carol
    assert f'href="/residents/{bob.id}">Bob</a>' in html


async def test_the_exchange_page_offers_thanks_until_it_is_said(as_bob, ladder, alice, bob):
    exchange_id = await completed_loan(ladder, alice, bob)
    before = (await as_bob.get(f"/exchanges/{exchange_id}")).text
    assert "Say thanks to Alice" in before

    await service.say_thanks(exchange_id, "Thanks for the ladder!", acting=bob.id)

    after = (await as_bob.get(f"/exchanges/{exchange_id}")).text
    assert "Say thanks to Alice" not in after
    assert "You've said thanks for this one" in after
