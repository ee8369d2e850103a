"""The feed and search are index-driven: with 50,000 offers over 400 streets, EXPLAIN shows the
feed walking the offer_feed index street by street, and never a sequential scan of offer."""

from __future__ import annotations

import re

import pytest

from streetshare import db
from streetshare.feed.queries import Cursor, Filters, feed_page, first_rows, page_query
from streetshare.places.queries import street_scope

STREETS = 400
OFFERS = 50_000
ASKS = 10_000


@pytest.fixture
async def city() -> int:
    """400 streets on a grid about 500 m apart, one resident each, 50k offers and 10k asks. Returns a viewer."""
    await db.execute(
        """
        INSERT INTO street (name, centre_lat, centre_lng, radius_m, created_at)
        SELECT 'Street ' || g, 53.60 + (g / 20) * 0.0045, -1.80 + (g % 20) * 0.0075, 800, now()
        FROM generate_series(0, $1 - 1) AS g
        """,
        STREETS,
    )
    await db.execute(
        """
        INSERT INTO resident (email, display_name, password_hash, created_at, home_lat, home_lng, street, street_joined_at)
        SELECT 'r' || s.id || '@example.org', 'Resident ' || s.id, 'x', now(), s.centre_lat + 0.001, s.centre_lng,
               s.id, now()
        FROM street s
        """
    )
    await db.execute(
        """
        INSERT INTO offer (owner, street, kind, title, description, category, status, neighbours_may_see,
                           loan_days, created_at, updated_at)
        SELECT r.id, r.street, 'lend',
               (ARRAY['Ladder', 'Drill', 'Hedge trimmer', 'Gazebo', 'Lawn mower'])[1 + (g / $2) % 5] || ' to lend ' || g,
               'Offer number ' || g, (ARRAY['tools', 'garden', 'home'])[1 + (g / $2) % 3],
               CASE WHEN g % 7 = 0 THEN 'paused' ELSE 'active' END, g % 4 <> 0, 7,
               now() - g * interval '1 minute', now()
        FROM generate_series(1, $1) AS g
        JOIN resident r ON r.street = 1 + g % $2
        """,
        OFFERS,
        STREETS,
    )
    await db.execute(
        """
        INSERT INTO ask (owner, street, title, category, help_kind, expires_at, status, created_at, updated_at)
        SELECT r.id, r.street, 'Need a thing ' || g, 'tools', 'borrow', now() + interval '30 days', 'open',
               now() - g * interval '1 minute', now()
        FROM generate_series(1, $1) AS g
        JOIN resident r ON r.street = 1 + g % $2
        """,
        ASKS,
        STREETS,
    )
    for table in ("street", "resident", "offer", "ask", "photo", "resident_block"):
        await db.execute(f"VACUUM (ANALYZE) {table}")  # as autovacuum would: the visibility map is set
    return await db.fetchval("SELECT id FROM resident WHERE street = (SELECT min(id) + 150 FROM street)")


async def explain(viewer: int, filters: Filters, cursor: Cursor | None = None, *, near: bool = False) -> str:
    scope = await street_scope(viewer)
    sql, args = page_query(viewer, scope, filters, cursor, near=near)
    rows = await db.fetch("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql, *args)
    return "\n".join(r[0] for r in rows)


def assert_index_driven(plan: str, index: str = "offer_feed") -> None:
    assert not re.search(r"Seq Scan on offer\b", plan), plan
    assert not re.search(r"Seq Scan on ask\b", plan), plan
    assert index in plan, plan


WALK = r"Index Only Scan using offer_feed on offer o(?:_\d+)? \(actual rows=([\d.]+) loops=(\d+)\)\n(?:.*\n)*?\s+Heap Fetches: (\d+)"


async def test_street_feed_walks_the_feed_index_and_never_scans_all_offers(city):
    scope = await street_scope(city)
    assert len(scope.neighbour_ids) >= 8  # a realistic neighbourhood: several streets in scope
    plan = await explain(city, Filters())
    print(plan)
    assert_index_driven(plan)
    walk = re.search(WALK, plan)
    assert walk, plan
    assert int(walk.group(2)) == 1 + len(scope.neighbour_ids)  # once per street in scope
    assert int(walk.group(3)) == 0  # choosing the page reads the index alone, no offer rows


async def test_filtered_search_and_later_pages_stay_on_the_indexes(city):
    first = await feed_page(city, Filters.parse(q="laddder"))
    assert first.items and all("Ladder" in item.title for item in first.items)
    for filters, cursor, near, index in [
        (Filters.parse(q="ladder"), None, False, "offer_street_words"),
        (Filters.parse(q="ladder", type="offer"), first.next, False, "offer_street_words"),
        (Filters.parse(q="(ladder)", type="offer"), None, True, "offer_street_words"),
        (Filters.parse(kind="lend", category="garden"), None, False, "offer_feed"),
        (Filters(), first.next, False, "offer_feed"),
    ]:
        plan = await explain(city, filters, cursor, near=near)
        assert_index_driven(plan, index)


async def test_a_page_reads_a_bounded_number_of_offer_rows(city):
    """The cost is about the page and the streets in scope, not the table: a few index entries per
    street (first_rows), and more only from streets that may hold more of the page."""
    plan = await explain(city, Filters())
    scanned = round(sum(float(n) * int(loops) for n, loops, _ in re.findall(WALK, plan)))
    streets = 1 + len((await street_scope(city)).neighbour_ids)
    assert 0 < scanned <= streets * first_rows(21, 2 * streets) + 21 < streets * 21
