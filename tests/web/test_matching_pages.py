"""Matches over HTTP: the ask's "Neighbours who could help", the offer's "Neighbours who need this",
"Not this one" (CSRF), and the API (visible asks only; an offer's matches for its owner only).

alice asks for a ladder on Elm Street; bob lends one; carol lives on Elm Street too; dave lives in Leeds.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.cast import ELM_STREET, LEEDS, api_token, app_client, make_street, place_resident, post_form

from streetshare import clock, db
from streetshare.matching import service
from streetshare.web.templating import make_environment


@pytest.fixture
async def elm(alice, bob, carol, dave):
    street = await make_street("Elm Street", ELM_STREET)
    await place_resident(alice, street, home=(street.lat + 0.0009, street.lng))
    await place_resident(bob, street, home=(street.lat + 0.0036, street.lng))
    await place_resident(carol, street, home=(street.lat - 0.0018, street.lng))
    leeds = await make_street("Leeds Road", LEEDS)
    await place_resident(dave, leeds)
    return street


@pytest.fixture
async def ladder_offer(bob, elm) -> int:
    return await db.fetchval(
        "INSERT INTO offer (owner, street, kind, title, description, category, created_at, updated_at) "
        "VALUES ($1, $2, 'lend', 'Extending ladder', 'Good for gutters.', 'tools', $3, $3) RETURNING id",
        bob.id, elm.id, clock.now(),
    )


@pytest.fixture
async def ladder_ask(alice, elm) -> int:
    return await db.fetchval(
        "INSERT INTO ask (owner, street, title, description, category, help_kind, expires_at, created_at, updated_at) "
        "VALUES ($1, $2, 'Can anyone lend a ladder?', 'To clear the gutters.', 'tools', 'borrow', $3, $4, $4) "
        "RETURNING id",
        alice.id, elm.id, clock.now() + timedelta(days=30), clock.now(),
    )


@pytest.fixture
async def matched(ladder_ask, ladder_offer) -> int:
    [stored] = await service.match_ask(ladder_ask)
    return stored.id


@pytest.fixture
async def api(settings):
    async with app_client(settings) as c:
        yield c


# ---------------------------------------------------------------- pages


async def test_the_asker_sees_neighbours_who_could_help_with_reasons_and_buttons(as_alice, ladder_ask, ladder_offer,
                                                                                 matched):
    response = await as_alice.get(f"/asks/{ladder_ask}/matches")
    assert response.status_code == 200
    page = response.text
    assert "Neighbours who could help" in page
    assert "Extending ladder" in page and "Bob" in page
    assert "both mention ladder" in page and "about 300 m away" in page
    assert f'href="/offers/{ladder_offer}/request"' in page and "Ask to borrow" in page
    assert f'action="/matches/{matched}/dismiss"' in page and 'name="_csrf_token"' in page


async def test_not_this_one_removes_the_match_and_comes_back(as_alice, ladder_ask, matched):
    page = f"/asks/{ladder_ask}/matches"
    response = await post_form(as_alice, f"/matches/{matched}/dismiss", {"next": page}, form_page=page)
    assert response.status_code == 303 and response.headers["location"] == page
    assert "Extending ladder" not in (await as_alice.get(page)).text


async def test_dismissing_without_the_csrf_token_is_refused(as_alice, matched):
    response = await as_alice.post(f"/matches/{matched}/dismiss", data={"next": "/"})
    assert response.status_code == 403
    assert await db.fetchval("SELECT dismissed_by_asker_at FROM match WHERE id = $1", matched) is None


async def test_dismissing_someone_elses_match_is_not_found(as_carol, ladder_ask, matched):
    response = await post_form(as_carol, f"/matches/{matched}/dismiss", {"next": "/"}, form_page="/account")
    assert response.status_code == 404


async def test_dismiss_never_sends_you_off_site(as_alice, matched):
    response = await post_form(as_alice, f"/matches/{matched}/dismiss", {"next": "//evil.example/x"},
                               form_page="/account")
    assert response.status_code == 303 and response.headers["location"] == "/"


async def test_the_offerer_sees_neighbours_who_need_this(as_bob, ladder_ask, ladder_offer, matched):
    response = await as_bob.get(f"/offers/{ladder_offer}/matches")
    assert response.status_code == 200
    assert "Neighbours who need this" in response.text
    assert "Can anyone lend a ladder?" in response.text and "Asked by Alice" in response.text
    assert f'href="/asks/{ladder_ask}/help?offer={ladder_offer}"' in response.text


async def test_a_neighbour_cannot_open_someone_elses_offer_matches(as_carol, ladder_offer, matched):
    assert (await as_carol.get(f"/offers/{ladder_offer}/matches")).status_code == 404


async def test_another_neighbour_sees_the_asks_matches_without_the_buttons(as_carol, ladder_ask, matched):
    response = await as_carol.get(f"/asks/{ladder_ask}/matches")
    assert response.status_code == 200
    assert "Extending ladder" in response.text
    assert "Not this one" not in response.text and "Ask to borrow" not in response.text
    assert "about 600 m away" in response.text  # from carol, not alice


async def test_matches_pages_need_a_signed_in_resident(settings, ladder_ask, matched):
    async with app_client(settings) as anonymous:
        response = await anonymous.get(f"/asks/{ladder_ask}/matches")
    assert response.status_code in (302, 303, 401)


def test_the_matches_macro_shows_an_empty_list_kindly():
    env = make_environment()
    template = env.from_string(
        '{% from "matching/_matches.html" import ask_matches, offer_matches %}'
        '{{ ask_matches([], 3, "", can_act=True) }}{{ offer_matches([], 4, "", can_act=True) }}'
    )
    html = template.render()
    assert "Neighbours who could help" in html and "Neighbours who need this" in html
    assert "No one yet" in html


# ---------------------------------------------------------------- API


async def test_api_ask_matches_best_first_with_reasons(api, alice, ladder_ask, ladder_offer, matched):
    response = await api.get(f"/api/v1/asks/{ladder_ask}/matches", headers=await api_token(api, alice))
    assert response.status_code == 200
    [item] = response.json()
    assert item["offer"] == {"id": ladder_offer, "title": "Extending ladder", "kind": "lend", "category": "tools",
                             "distance_m": 300, "owner": {"id": item["offer"]["owner"]["id"], "display_name": "Bob"}}
    assert item["score"] > 0 and item["match_id"] == matched
    assert "both mention ladder" in item["reasons"]


async def test_api_ask_matches_of_an_ask_out_of_sight_are_not_found(api, dave, ladder_ask, matched):
    response = await api.get(f"/api/v1/asks/{ladder_ask}/matches", headers=await api_token(api, dave))
    assert response.status_code == 404


async def test_api_matches_need_a_token(api, ladder_ask, ladder_offer):
    assert (await api.get(f"/api/v1/asks/{ladder_ask}/matches")).status_code == 401
    assert (await api.get(f"/api/v1/offers/{ladder_offer}/matches")).status_code == 401


async def test_api_offer_matches_for_the_owner_only(api, bob, carol, ladder_ask, ladder_offer, matched):
    response = await api.get(f"/api/v1/offers/{ladder_offer}/matches", headers=await api_token(api, bob))
    assert response.status_code == 200
    [item] = response.json()
    assert item["ask"]["id"] == ladder_ask and item["ask"]["owner"]["display_name"] == "Alice"
    assert item["ask"]["distance_m"] == 300
    other = await api.get(f"/api/v1/offers/{ladder_offer}/matches", headers=await api_token(api, carol))
    assert other.status_code == 404


async def test_api_dismiss_by_the_asker(api, alice, ladder_ask, matched):
    headers = await api_token(api, alice)
    response = await api.post(f"/api/v1/matches/{matched}/dismiss", headers=headers)
    assert response.status_code == 200 and response.json() == {"dismissed": True}
    assert (await api.post(f"/api/v1/matches/{matched}/dismiss", headers=headers)).status_code == 200
    assert (await api.get(f"/api/v1/asks/{ladder_ask}/matches", headers=headers)).json() == []


async def test_api_dismiss_by_someone_else_is_not_found(api, carol, matched):
    response = await api.post(f"/api/v1/matches/{matched}/dismiss", headers=await api_token(api, carol))
    assert response.status_code == 404


async def test_matches_never_show_a_neighbours_email_or_home(api, as_alice, alice, bob, ladder_ask, ladder_offer,
                                                             matched):
    home = await db.fetchrow("SELECT home_lat, home_lng FROM resident WHERE id = $1", bob.id)
    api_text = (await api.get(f"/api/v1/asks/{ladder_ask}/matches", headers=await api_token(api, alice))).text
    page_text = (await as_alice.get(f"/asks/{ladder_ask}/matches")).text
    for text in (api_text, page_text):
        assert bob.email not in text
        assert f"{home['home_lat']:.4f}"[:7] not in text and f"{home['home_lng']:.4f}"[:7] not in text


async def test_the_matches_endpoints_are_in_the_openapi_schema(api):
    paths = (await api.get("/schema/openapi.json")).json()["paths"]
    assert "/api/v1/asks/{ask_id}/matches" in paths
    assert "/api/v1/offers/{offer_id}/matches" in paths
    assert "/api/v1/matches/{match_id}/dismiss" in paths


# ---------------------------------------------------------------- on the ask and offer pages


async def test_the_ask_page_shows_neighbours_who_could_help_when_given_them(alice, ladder_ask, ladder_offer, matched):
    from streetshare.asks.queries import ask_for_viewer
    from streetshare.matching.routes import ask_matches_context

    env = make_environment()
    ask = await ask_for_viewer(ladder_ask, alice.id)
    html = env.get_template("asks/detail.html").render(
        ask=ask, errors={}, created=False, csrf_input="", request=None, **await ask_matches_context(ladder_ask, alice.id))
    assert "Neighbours who could help" in html and "Extending ladder" in html and "Not this one" in html
    html = env.get_template("asks/detail.html").render(ask=ask, errors={}, created=False, csrf_input="", request=None)
    assert "Neighbours who could help" not in html  # a page that doesn't pass matches is unchanged


async def test_the_ask_page_lists_matches_for_the_asker_only(alice, carol, ladder_ask, matched):
    from streetshare.matching.routes import ask_matches_context

    assert len((await ask_matches_context(ladder_ask, alice.id))["matches"]) == 1
    assert await ask_matches_context(ladder_ask, carol.id) == {}


async def test_the_offer_page_shows_neighbours_who_need_this_to_its_owner_only(bob, carol, ladder_offer, matched):
    from streetshare.matching.routes import offer_matches_context

    mine = await offer_matches_context(ladder_offer, bob.id)
    assert [m.title for m in mine["matches"]] == ["Can anyone lend a ladder?"] and mine["can_act_on_matches"]
    assert await offer_matches_context(ladder_offer, carol.id) == {}
