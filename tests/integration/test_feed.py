"""The street feed and search: what a resident sees, in what order, and never what they shouldn't."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.cast import LEEDS, OAK_ROAD, block, make_ask, make_offer, make_street, place_resident

from streetshare import clock, db
from streetshare.asks import service as asks
from streetshare.feed.queries import Cursor, Filters, feed_page
from streetshare.offers import service as offers

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def streets(alice, bob, carol, dave):
    """alice and bob live on Elm Street, carol on Oak Road (a neighbour), dave in Leeds (far away)."""
    elm = await make_street("Elm Street")
    oak = await make_street("Oak Road", OAK_ROAD)
    leeds = await make_street("Leeds Lane", LEEDS)
    await place_resident(alice, elm)
    await place_resident(bob, elm, home=(elm.lat + 0.0040, elm.lng))  # about 450 m from alice
    await place_resident(carol, oak)
    await place_resident(dave, leeds)
    return elm, oak, leeds


async def titles(viewer, **filters) -> list[str]:
    page = await feed_page(viewer.id, Filters.parse(**filters))
    return [item.title for item in page.items]


async def test_feed_shows_my_streets_offers_and_asks_newest_first(streets, alice, bob):
    with clock.frozen_at(T0):
        await make_offer(bob, title="Ladder to lend")
    with clock.frozen_at(T0 + timedelta(minutes=1)):
        await make_ask(bob, title="Someone to cut back my hedge", category="garden", help_kind="skill")
    with clock.frozen_at(T0 + timedelta(minutes=2)):
        await make_offer(alice, kind="give", title="Cot to give away", category="children")
    with clock.frozen_at(T0 + timedelta(minutes=3)):
        page = await feed_page(alice.id)
    assert [(i.type, i.title) for i in page.items] == [
        ("offer", "Cot to give away"), ("ask", "Someone to cut back my hedge"), ("offer", "Ladder to lend"),
    ]
    assert page.has_street and page.next is None


async def test_card_names_owner_and_street_with_distance_rounded_to_100_m(streets, alice, bob):
    await make_offer(bob, title="Ladder to lend")
    [item] = (await feed_page(alice.id)).items
    assert (item.owner_name, item.street_name, item.kind_label, item.category_label) == (
        "Bob", "Elm Street", "To lend", "Tools")
    assert item.distance_m == 300  # 0.00265 degrees of latitude is about 295 m
    assert item.distance_m % 100 == 0
    assert not any("lat" in name or "lng" in name or "home" in name for name in vars(item))


async def test_resident_without_a_street_sees_an_empty_feed(streets, alice):
    from support.cast import make_resident

    erin = await make_resident("Erin")
    await make_offer(alice)
    page = await feed_page(erin.id)
    assert page.items == [] and not page.has_street


async def test_neighbouring_street_items_show_when_resident_looks_nearby(streets, alice, carol):
    await make_offer(carol, title="Hedge trimmer to lend", category="garden")
    await make_ask(carol, title="Lift to the station", category="lifts_errands", help_kind="time")
    assert await titles(alice) == ["Lift to the station", "Hedge trimmer to lend"]


async def test_neighbouring_street_items_that_keep_to_their_street_stay_hidden(streets, alice, carol):
    await make_offer(carol, title="Hedge trimmer to lend", neighbours_may_see=False)
    await make_ask(carol, title="Lift to the station", neighbours_may_see=False)
    assert await titles(alice) == []
    assert await titles(carol) == ["Lift to the station", "Hedge trimmer to lend"]


async def test_resident_looking_at_their_street_only_sees_no_neighbours(streets, alice, carol):
    elm, _, _ = streets
    await place_resident(alice, elm, looks_at="street")
    await make_offer(carol, title="Hedge trimmer to lend")
    assert await titles(alice) == []


async def test_far_street_items_never_show(streets, alice, dave):
    await make_offer(dave, title="Drill to lend")
    await make_ask(dave, title="Need a drill")
    assert await titles(alice) == []
    assert await titles(dave) == ["Need a drill", "Drill to lend"]


async def test_blocked_residents_never_see_each_others_items(streets, alice, bob, carol):
    await make_offer(bob, title="Ladder to lend")
    await make_ask(alice, title="Need a drill")
    await make_offer(carol, title="Hedge trimmer to lend")
    await block(bob, alice)  # bob blocked alice: neither sees the other
    await block(alice, carol)  # alice blocked carol: neither sees the other
    assert await titles(alice) == ["Need a drill"]  # her own, nothing of bob's or carol's
    assert await titles(bob) == ["Hedge trimmer to lend", "Ladder to lend"]
    assert await titles(carol) == ["Hedge trimmer to lend", "Ladder to lend"]


async def test_only_active_offers_and_open_asks_are_in_the_feed(streets, alice, bob):
    paused = await make_offer(bob, title="Paused ladder")
    await offers.pause_offer(paused, acting=bob.id)
    withdrawn = await make_offer(bob, title="Withdrawn drill")
    await offers.withdraw_offer(withdrawn, acting=bob.id)
    gone = await make_offer(bob, kind="give", title="Cot, now given")
    await offers.mark_gone(gone)
    sorted_out = await make_ask(bob, title="Sorted ask")
    await asks.fulfil_ask(sorted_out, acting=bob.id)
    dropped = await make_ask(bob, title="Withdrawn ask")
    await asks.withdraw_ask(dropped, acting=bob.id)
    await make_offer(bob, title="Live ladder")
    await make_ask(bob, title="Live ask")
    assert await titles(alice) == ["Live ask", "Live ladder"]


async def test_hidden_items_leave_the_feed(streets, alice, bob):
    offer_id = await make_offer(bob, title="Reported ladder")
    ask_id = await make_ask(bob, title="Reported ask")
    await db.execute("UPDATE offer SET hidden_at = now(), hidden_reason = 'spam' WHERE id = $1", offer_id)
    await db.execute("UPDATE ask SET hidden_at = now(), hidden_reason = 'spam' WHERE id = $1", ask_id)
    assert await titles(alice) == []


async def test_items_of_deactivated_accounts_leave_the_feed(streets, alice, bob):
    await make_offer(bob, title="Ladder to lend")
    await db.execute("UPDATE resident SET is_active = false WHERE id = $1", bob.id)
    assert await titles(alice) == []


async def test_time_offer_leaves_the_feed_once_its_window_has_passed(streets, alice, bob):
    with clock.frozen_at(T0):
        await make_offer(bob, kind="time", title="Tip run Saturday 10:00", category="lifts_errands", slots=3,
                         starts_at=T0 + timedelta(days=2), ends_at=T0 + timedelta(days=2, hours=2))
        assert await titles(alice) == ["Tip run Saturday 10:00"]
    with clock.frozen_at(T0 + timedelta(days=2, hours=3)):
        assert await titles(alice) == []


async def test_ask_past_its_expiry_leaves_the_feed_even_before_the_worker_runs(streets, alice, bob):
    with clock.frozen_at(T0):
        await make_ask(bob, title="Need a drill")
    with clock.frozen_at(T0 + timedelta(days=31)):
        assert await titles(alice) == []


async def test_filter_by_type(streets, alice, bob):
    await make_offer(bob, title="Ladder to lend")
    await make_ask(bob, title="Need a drill")
    assert await titles(alice, type="offer") == ["Ladder to lend"]
    assert await titles(alice, type="ask") == ["Need a drill"]


async def test_filter_by_kind_shows_offers_of_that_kind_and_the_asks_they_answer(streets, alice, bob):
    await make_offer(bob, title="Ladder to lend", kind="lend")
    await make_offer(bob, title="Cot to give away", kind="give", category="children")
    await make_ask(bob, title="Can I borrow a drill?", help_kind="borrow")
    await make_ask(bob, title="Anyone have a spare cot?", help_kind="receive", category="children")
    assert await titles(alice, kind="lend") == ["Can I borrow a drill?", "Ladder to lend"]
    assert await titles(alice, kind="receive") == ["Anyone have a spare cot?", "Cot to give away"]
    assert await titles(alice, kind="give", type="offer") == ["Cot to give away"]


async def test_filter_by_category(streets, alice, bob):
    await make_offer(bob, title="Ladder to lend", category="tools")
    await make_offer(bob, title="Hedge trimmer to lend", category="garden")
    await make_ask(bob, title="Someone to cut back my hedge", category="garden", help_kind="skill")
    assert await titles(alice, category="garden") == ["Someone to cut back my hedge", "Hedge trimmer to lend"]


async def test_unknown_filter_values_are_ignored(streets, alice, bob):
    await make_offer(bob, title="Ladder to lend")
    assert await titles(alice, type="sofa", kind="rent", category="weapons") == ["Ladder to lend"]


async def test_search_uses_english_stemming_over_title_and_description(streets, alice, bob):
    await make_offer(bob, title="Ladder to lend", description="Three metres, good for gutters and painting.")
    await make_offer(bob, title="Drill to lend")
    assert await titles(alice, q="ladders") == ["Ladder to lend"]
    assert await titles(alice, q="gutter") == ["Ladder to lend"]
    assert await titles(alice, q="painted") == ["Ladder to lend"]
    assert await titles(alice, q="sofa") == []


async def test_search_with_a_typo_finds_the_ladder(streets, alice, bob):
    await make_offer(bob, title="Aluminium ladder to lend")
    await make_ask(bob, title="Can anyone lend me a ladder for an afternoon?")
    await make_offer(bob, title="Hedge trimmer")
    assert await titles(alice, q="laddder") == ["Can anyone lend me a ladder for an afternoon?",
                                               "Aluminium ladder to lend"]


async def test_search_accepts_web_search_syntax_without_errors(streets, alice, bob):
    await make_offer(bob, title="Ladder to lend")
    assert await titles(alice, q='"ladder" -drill or & | ! (') == ["Ladder to lend"]
    assert await titles(alice, q="   ") == ["Ladder to lend"]


async def test_search_never_reaches_outside_scope(streets, alice, carol, dave):
    await make_offer(dave, title="Ladder in Leeds")
    await make_offer(carol, title="Ladder kept to Oak Road", neighbours_may_see=False)
    assert await titles(alice, q="ladder") == []
    assert await titles(alice, q="laddder") == []


async def test_pages_walk_every_item_once_even_at_the_same_moment(streets, alice, bob):
    with clock.frozen_at(T0):  # same created_at for all: the cursor's tie-breakers must hold
        expected = set()
        for n in range(13):
            expected.add(("offer", await make_offer(bob, title=f"Offer number {n}")))
            if n % 2 == 0:
                expected.add(("ask", await make_ask(bob, title=f"Ask number {n}")))
    seen: list[tuple[str, int]] = []
    cursor = None
    pages = 0
    while True:
        page = await feed_page(alice.id, Filters(), cursor, limit=5)
        seen.extend((i.type, i.id) for i in page.items)
        pages += 1
        if page.next is None:
            break
        cursor = Cursor.decode(page.next_cursor)
    assert len(seen) == len(set(seen)) == len(expected) == 20
    assert set(seen) == expected
    assert pages == 4
    assert seen[:7] == sorted([s for s in seen if s[0] == "offer"], key=lambda s: -s[1])[:7]


async def test_cursor_that_is_not_ours_is_ignored():
    assert Cursor.decode("not-a-cursor") is None
    assert Cursor.decode("") is None
    assert Cursor.decode("MTIzLjkuNQ") is None  # "123.9.5": no such type rank
    cursor = Cursor(T0, 2, 17)
    assert Cursor.decode(cursor.encode()) == cursor


async def test_the_feed_looking_at_a_few_rows_per_street_first_gives_the_same_pages(streets, alice, bob, monkeypatch):
    """The feed first takes first_rows() rows of each street and type, and goes on only in the
    streets that may hold more of the page: every page must be what walking a whole page of every
    street gives, with busy and quiet streets, ties, filters, blocks and hidden items."""
    import random

    from support.cast import ELM_STREET, insert_ask, insert_offer, make_resident

    from streetshare.feed import queries

    rng = random.Random(8)
    elm = streets[0]
    around = [elm]
    for n in range(8):  # neighbours within a mile, from very busy to nearly empty
        around.append(await make_street(f"Street {n}", (ELM_STREET[0] + 0.0017 * (n + 1), ELM_STREET[1])))
    people = [bob]
    for n, street in enumerate(around[1:]):
        person = await make_resident(f"Neighbour {n}", email=f"neighbour{n}@example.org")
        await place_resident(person, street)
        people.append(person)
    stranger = people[3]
    await block(stranger, alice)
    for n in range(260):
        owner_index = min(int(rng.expovariate(0.6)), len(people) - 1)  # skewed: a few streets post most
        owner, street = people[owner_index], around[owner_index]
        at = T0 + timedelta(minutes=rng.choice([n, n, n - 1]))  # some ties
        with clock.frozen_at(at):
            if rng.random() < 0.6:
                await insert_offer(owner, street, kind=rng.choice(["lend", "give", "skill"]), title=f"Offer {n}",
                                   neighbours_may_see=rng.random() < 0.8)
            else:
                await insert_ask(owner, street, title=f"Ask {n}")
    await db.execute("UPDATE offer SET hidden_at = now() WHERE id % 11 = 0")

    async def all_pages(filters: Filters) -> list[tuple[str, int]]:
        seen, cursor = [], None
        with clock.frozen_at(T0 + timedelta(days=1)):
            while True:
                page = await feed_page(alice.id, filters, cursor, limit=7)
                seen.extend((i.type, i.id) for i in page.items)
                if page.next is None:
                    return seen
                cursor = page.next

    cases = [Filters(), Filters.parse(type="offer"), Filters.parse(kind="lend"), Filters.parse(type="ask")]
    quick = [await all_pages(f) for f in cases]
    monkeypatch.setattr(queries, "first_rows", lambda page, streams: page)  # every street walks a whole page
    whole = [await all_pages(f) for f in cases]
    assert quick == whole
    assert len(await queries.scope_of(alice.id)) == 2 and len((await queries.scope_of(alice.id))[1]) >= 9
    assert len(quick[0]) > 100 and not any(t == "offer" and i % 11 == 0 for t, i in quick[0])


async def test_a_typo_is_searched_again_by_the_near_spellings_of_title_words(streets, alice, bob, carol):
    from streetshare.feed.queries import near_words

    await make_offer(bob, title="Hedge trimmer to lend")
    await make_offer(carol, title="Step ladder, 6 treads")
    await make_ask(bob, title="Anyone got a pushchair?")
    assert await near_words("laddder") == "(ladder)"
    assert await titles(alice, q="hedge trimer") == ["Hedge trimmer to lend"]  # one word right, one wrong
    assert await titles(alice, q="pushchiar") == ["Anyone got a pushchair?"]
    assert await titles(alice, q="xq") == [] and await near_words("xq 12") is None
    assert await titles(alice, q="zzzzzz") == []


async def test_the_vocabulary_follows_new_and_retitled_items(streets, alice, bob):
    from streetshare.feed.queries import near_words

    assert await near_words("gazebo") is None
    offer_id = await make_offer(bob, title="Pop-up tent")
    assert await near_words("gazeebo") is None
    await offers.update_offer(offer_id, acting=bob.id, changes={"title": "Gazebo for parties"})
    assert await near_words("gazeebo") == "(gazebo)"
    assert await titles(alice, q="gazeebo") == ["Gazebo for parties"]
