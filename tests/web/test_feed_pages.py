"""The home page of a resident with a street is their feed: cards, filters, search, "More"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.cast import LEEDS, OAK_ROAD, block, make_ask, make_offer, make_resident, make_street, place_resident, sign_in

from streetshare import clock

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def elm(alice, bob, carol, dave):
    elm = await make_street("Elm Street")
    await place_resident(alice, elm)
    await place_resident(bob, elm, home=(elm.lat + 0.0040, elm.lng))
    await place_resident(carol, await make_street("Oak Road", OAK_ROAD))
    await place_resident(dave, await make_street("Leeds Lane", LEEDS))
    return elm


async def test_feed_cards_show_title_kind_category_owner_street_and_rough_distance(client, elm, alice, bob):
    await make_offer(bob, title="Hedge trimmer to lend", category="garden")
    await make_ask(bob, title="Someone to cut back my hedge", category="garden", help_kind="skill")
    await sign_in(client, alice)
    home = await client.get("/")
    assert home.status_code == 200
    text = home.text
    assert "On Elm Street" in text
    assert "Hedge trimmer to lend" in text and "Offer · To lend" in text and "Garden" in text
    assert "Someone to cut back my hedge" in text and "Ask · Help with a skill" in text
    assert "Bob · Elm Street · about 300 m away" in text
    assert 'href="/offers/new"' in text and 'href="/asks/new"' in text and 'href="/mine"' in text


async def test_feed_never_shows_a_home_location_or_email(client, elm, alice, bob):
    await make_offer(bob, title="Ladder to lend")
    await sign_in(client, alice)
    text = (await client.get("/")).text
    assert "bob@example.org" not in text
    assert "53.64" not in text and "-1.78" not in text


async def test_own_items_say_yours_instead_of_a_distance(client, elm, alice):
    await make_offer(alice, title="Ladder to lend")
    await sign_in(client, alice)
    assert "Alice · Elm Street · yours" in (await client.get("/")).text


async def test_search_with_a_typo_finds_the_ladder(client, elm, alice, bob):
    await make_offer(bob, title="Aluminium ladder to lend")
    await make_offer(bob, title="Drill to lend")
    await sign_in(client, alice)
    page = await client.get("/", params={"q": "laddder"})
    assert "Aluminium ladder to lend" in page.text and "Drill to lend" not in page.text
    assert 'value="laddder"' in page.text and "Clear search and filters" in page.text


async def test_filters_by_type_kind_and_category(client, elm, alice, bob):
    await make_offer(bob, title="Hedge trimmer to lend", category="garden")
    await make_offer(bob, kind="give", title="Cot to give away", category="children")
    await make_ask(bob, title="Need a drill", category="tools")
    await sign_in(client, alice)
    only_asks = (await client.get("/", params={"type": "ask"})).text
    assert "Need a drill" in only_asks and "Cot to give away" not in only_asks
    gives = (await client.get("/", params={"kind": "give"})).text
    assert "Cot to give away" in gives and "Hedge trimmer" not in gives
    garden = (await client.get("/", params={"category": "garden"})).text
    assert "Hedge trimmer to lend" in garden and "Need a drill" not in garden
    assert '<option value="garden" selected>' in garden


async def test_nothing_matches_suggests_asking(client, elm, alice):
    await sign_in(client, alice)
    page = await client.get("/", params={"q": "unicycle"})
    assert "Nothing matches that yet" in page.text and 'href="/asks/new"' in page.text


async def test_more_link_walks_through_pages_with_the_filters_kept(client, elm, alice, bob):
    for n in range(25):
        with clock.frozen_at(T0 + timedelta(minutes=n)):
            await make_offer(bob, title=f"Garden tool number {n}", category="garden")
    await make_offer(bob, title="A drill, not garden", category="tools")
    await sign_in(client, alice)
    first = await client.get("/", params={"category": "garden"})
    assert first.text.count('class="item-card') == 20
    assert "Garden tool number 24" in first.text and "Garden tool number 4<" not in first.text
    import re

    more = re.search(r'href="(/\?[^"]+)" rel="next"', first.text)
    assert more and "category=garden" in more.group(1) and "cursor=" in more.group(1)
    second = await client.get(more.group(1).replace("&amp;", "&"))
    assert second.text.count('class="item-card') == 5
    assert "Garden tool number 4<" in second.text and "Garden tool number 24" not in second.text
    assert 'rel="next"' not in second.text and "A drill" not in second.text


async def test_search_more_link_goes_on_in_relevance_order(client, elm, alice, bob):
    import re

    for n in range(22):
        with clock.frozen_at(T0 + timedelta(minutes=n)):
            await make_offer(bob, title=f"Ladder number {n}" if n < 2 else f"Tool number {n}",
                             description="" if n < 2 else "Good for reaching a ladder's top.")
    await sign_in(client, alice)
    first = await client.get("/", params={"q": "ladder"})
    assert first.text.count('class="item-card') == 20
    assert first.text.index("Ladder number 0") < first.text.index("Tool number 21")  # the title match first
    more = re.search(r'href="(/\?[^"]+)" rel="next"', first.text)
    assert more and "q=ladder" in more.group(1) and "cursor=" in more.group(1)
    second = await client.get(more.group(1).replace("&amp;", "&"))
    assert second.text.count('class="item-card') == 2
    assert "Tool number 3<" in second.text and "Tool number 2<" in second.text and 'rel="next"' not in second.text


async def test_a_cursor_we_did_not_make_shows_the_first_page(client, elm, alice, bob):
    await make_offer(bob, title="Ladder to lend")
    await sign_in(client, alice)
    page = await client.get("/", params={"cursor": "!!nonsense!!"})
    assert page.status_code == 200 and "Ladder to lend" in page.text


@pytest.mark.parametrize("who", ["dave_far_away", "carol_kept_to_street", "carol_street_only", "blocked"])
async def test_feed_and_search_never_show_what_is_out_of_scope(client, elm, alice, bob, carol, dave, who):
    await make_offer(alice, title="Ladder to lend", neighbours_may_see=who != "carol_kept_to_street")
    await make_ask(alice, title="Need a ladder", neighbours_may_see=who != "carol_kept_to_street")
    viewer = {"dave_far_away": dave, "carol_kept_to_street": carol, "carol_street_only": carol, "blocked": bob}[who]
    if who == "carol_street_only":
        from streetshare import db

        await db.execute("UPDATE resident SET looks_at = 'street' WHERE id = $1", carol.id)
    if who == "blocked":
        await block(alice, bob)
    await sign_in(client, viewer)
    for params in ({}, {"q": "ladder"}, {"q": "laddder"}, {"type": "offer"}, {"kind": "lend"}):
        text = (await client.get("/", params=params)).text
        assert "Ladder to lend" not in text and "Need a ladder" not in text


async def test_resident_without_a_street_is_sent_to_set_their_home(client, elm):
    erin = await make_resident("Erin")
    await sign_in(client, erin)
    response = await client.get("/")
    assert response.status_code == 303 and response.headers["location"] in ("/places/home", "/streets/nearby")


async def test_cards_say_when_a_favour_is_and_when_an_ask_is_needed_by(client, elm, alice, bob):
    with clock.frozen_at(T0):
        await make_offer(bob, kind="time", title="Tip run Saturday 10:00", category="lifts_errands", slots="3",
                         starts_at="2026-12-05T10:00", ends_at="2026-12-05T12:00")
        await make_ask(bob, title="Need a drill", needed_by="2026-12-04")
    await sign_in(client, alice)
    with clock.frozen_at(T0 + timedelta(hours=1)):
        text = (await client.get("/")).text
    assert "room for 3" in text and "Sat 5 Dec, 10:00 to 12:00" in text
    assert "needed by Fri 4 Dec" in text
