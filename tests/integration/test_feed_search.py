"""Search relevance: what a resident looking for a thing sees first, and the misspellings it forgives.

Order: others' posts before the resident's own; a title match before a description-only match; the
resident's own street before a neighbouring one, then nearer before farther by the distance as it
is shown (rounded to 100 m); then newest first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.cast import ELM_STREET, LEEDS, OAK_ROAD, make_ask, make_offer, make_resident, make_street, place_resident

from streetshare import clock
from streetshare.feed.queries import Cursor, Filters, SearchCursor, feed_page

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def streets(alice, bob, carol):
    """alice and bob live on Elm Street (bob about 300 m from alice), carol on Oak Road, a neighbour."""
    elm = await make_street("Elm Street", ELM_STREET)
    oak = await make_street("Oak Road", OAK_ROAD)
    await place_resident(alice, elm)  # 150 m north of the centre
    await place_resident(bob, elm, home=(elm.lat + 0.0040, elm.lng))
    await place_resident(carol, oak)
    return elm, oak


async def titles(viewer, q: str) -> list[str]:
    return [item.title for item in (await feed_page(viewer.id, Filters.parse(q=q))).items]


def minutes(n: int):
    return clock.frozen_at(T0 + timedelta(minutes=n))


async def test_search_lists_a_title_match_above_a_description_match(streets, alice, bob):
    with minutes(0):
        await make_offer(bob, title="Ladder to lend")
    with minutes(1):
        await make_ask(bob, title="Someone to cut back my hedge", category="garden", help_kind="skill",
                       description="It is tall: I have a ladder you can use.")
    with minutes(2):
        assert await titles(alice, "ladder") == ["Ladder to lend", "Someone to cut back my hedge"]


async def test_own_posts_come_after_neighbours_posts_in_search(streets, alice, bob):
    with minutes(0):
        await make_offer(bob, title="Ladder to lend")
    with minutes(1):
        await make_offer(alice, title="Ladder, three metres")
    with minutes(2):
        assert await titles(alice, "ladder") == ["Ladder to lend", "Ladder, three metres"]
        assert await titles(bob, "ladder") == ["Ladder, three metres", "Ladder to lend"]


async def test_search_lists_the_own_street_first_then_nearer_above_farther(streets, alice, bob, carol):
    elm, _ = streets
    erin = await make_resident("Erin")
    await place_resident(erin, elm, home=(elm.lat - 0.0045, elm.lng))  # about 650 m from alice
    await place_resident(carol, streets[1], home=(elm.lat + 0.0020, elm.lng))  # Oak Road, yet 70 m from alice
    with minutes(0):
        await make_offer(bob, title="Ladder to lend")
    with minutes(1):
        await make_offer(erin, title="Ladder for gutters")
    with minutes(2):
        await make_offer(carol, title="Ladder, aluminium")
    with minutes(3):
        page = await feed_page(alice.id, Filters.parse(q="ladder"))
    assert [(i.title, i.distance_m) for i in page.items] == [
        ("Ladder to lend", 300), ("Ladder for gutters", 700), ("Ladder, aluminium", 100)]


async def test_search_ranks_by_the_rounded_distance_only(streets, alice, bob):
    """Two neighbours shown at the same rounded distance tie (then newest first): the order must not
    tell which of them lives nearer, or a resident could narrow down where someone lives."""
    elm, _ = streets
    erin = await make_resident("Erin")
    await place_resident(erin, elm, home=(elm.lat + 0.0037, elm.lng))  # 260 m: shown as 300 m, like bob's 295 m
    with minutes(0):
        await make_offer(erin, title="Ladder, the nearer one")
    with minutes(1):
        await make_offer(bob, title="Ladder, the newer one")
    with minutes(2):
        page = await feed_page(alice.id, Filters.parse(q="ladder"))
    assert [(i.title, i.distance_m) for i in page.items] == [("Ladder, the newer one", 300),
                                                             ("Ladder, the nearer one", 300)]


async def test_search_pages_go_on_in_relevance_order_without_repeats(streets, alice, bob):
    for n in range(25):
        with minutes(n):
            if n % 2:
                await make_offer(bob, title=f"Ladder {n}")
            else:
                await make_ask(bob, title=f"Hedge cutting {n}", category="garden", help_kind="skill",
                               description="Bring a ladder.")
    seen, cursor = [], None
    with minutes(30):
        for _ in range(5):
            page = await feed_page(alice.id, Filters.parse(q="ladder"), cursor, limit=10)
            seen += [i.title for i in page.items]
            cursor = page.next
            if cursor is None:
                break
    assert len(seen) == 25 == len(set(seen))
    assert seen[:12] == [f"Ladder {n}" for n in range(23, 0, -2)]  # every title match first, newest first
    assert isinstance(Cursor.decode(SearchCursor(10).encode()), SearchCursor)


async def test_a_transposed_word_finds_the_offer(streets, alice, bob):
    await make_offer(bob, title="Drill to lend")
    await make_offer(bob, title="Grill for barbecues")
    assert await titles(alice, "drlil") == ["Drill to lend"]
    assert await titles(alice, "hegde trimmer") == []  # nothing of the kind on the street
    await make_offer(bob, title="Hedge trimmer")
    assert await titles(alice, "hegde trimmer") == ["Hedge trimmer"]


async def test_split_words_are_found(streets, alice, bob, dave):
    leeds = await make_street("Leeds Lane", LEEDS)
    await place_resident(dave, leeds)
    for title in ("Steps", "Stepper", "Stepstool", "Ladders", "Laddered tights", "Bladder bag"):
        await make_offer(dave, title=title)  # far away, but their words spelt like "step" and "ladder" are many
    await make_offer(bob, title="Stepladder, 6 treads")
    await make_offer(bob, title="Hedge trimmer to lend")
    assert await titles(alice, "step ladder") == ["Stepladder, 6 treads"]
    assert await titles(alice, "hedgetrimmer") == ["Hedge trimmer to lend"]
    assert await titles(alice, "a hedgetrimmer please") == ["Hedge trimmer to lend"]


async def test_an_exact_match_comes_before_any_near_spelling(streets, alice, bob):
    """Near spellings are looked for only when the words themselves find nothing in scope."""
    await make_offer(bob, title="Grill for barbecues")
    await make_offer(bob, title="Drill to lend")
    assert await titles(alice, "grill") == ["Grill for barbecues"]
    assert await titles(alice, "grils") == ["Grill for barbecues"]
